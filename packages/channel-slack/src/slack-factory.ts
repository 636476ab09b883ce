import { CHANNEL_ADAPTER_SPEC_VERSION, type ChannelFactory } from '@nanoclaw/core';
import { createSlackChannel, SLACK_CHANNEL } from './slack-channel.js';

export const SLACK_ENV = {
  botToken: 'SLACK_BOT_TOKEN',
  appToken: 'SLACK_APP_TOKEN',
  apiUrl: 'SLACK_API_URL',
} as const;

/**
 * The Slack channel's factory: `SLACK_BOT_TOKEN` (xoxb-) and `SLACK_APP_TOKEN` (xapp-) are required,
 * `SLACK_API_URL` is optional (tests, GovSlack and other non-default Web API hosts).
 */
export const slackChannel: ChannelFactory = {
  specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
  channel: SLACK_CHANNEL,
  requiredEnv: [SLACK_ENV.botToken, SLACK_ENV.appToken],
  create({ accountId, env, logger }) {
    const botToken = env[SLACK_ENV.botToken]?.trim();
    const appToken = env[SLACK_ENV.appToken]?.trim();
    const missing = [...(botToken ? [] : [SLACK_ENV.botToken]), ...(appToken ? [] : [SLACK_ENV.appToken])];
    if (missing.length > 0 || !botToken || !appToken) return { skipped: `${missing.join(' and ')} not set` };
    if (!botToken.startsWith('xoxb-'))
      return { skipped: `${SLACK_ENV.botToken} must be a bot token (xoxb-…)` };
    if (!appToken.startsWith('xapp-')) {
      return { skipped: `${SLACK_ENV.appToken} must be an app-level token (xapp-…) with connections:write` };
    }
    const apiUrl = env[SLACK_ENV.apiUrl]?.trim();
    return createSlackChannel({ botToken, appToken, accountId, logger, ...(apiUrl ? { apiUrl } : {}) });
  },
};
