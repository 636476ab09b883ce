export { registerSlackChannel } from './register.js';
export type { SlackChannel, SlackChannelOptions } from './slack-channel.js';
export {
  createSlackChannel,
  DEFAULT_SLACK_API_URL,
  SLACK_CHANNEL,
  SLACK_MAX_TEXT_LENGTH,
} from './slack-channel.js';
export { SlackChannelError } from './slack-errors.js';
export { SLACK_ENV, slackChannel } from './slack-factory.js';
