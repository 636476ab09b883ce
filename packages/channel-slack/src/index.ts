export { registerSlackChannel } from './register.js';
export type { SlackChannel, SlackChannelOptions } from './slack-channel.js';
export {
  createSlackChannel,
  DEFAULT_SLACK_API_URL,
  SLACK_CHANNEL,
  SLACK_MAX_TEXT_LENGTH,
  toSlackPieces,
} from './slack-channel.js';
export { SlackChannelError, toSlackChannelError } from './slack-errors.js';
export { SLACK_ENV, slackChannel } from './slack-factory.js';
export { escapeSlack, markdownToSlack, slackToMarkdown } from './slack-format.js';
export type { SlackEventVerdict, SlackFile, SlackMessageEvent } from './slack-inbound.js';
export { mentionsUser, toInboundMessage } from './slack-inbound.js';
