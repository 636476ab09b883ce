export type { ChannelReceiver, ChannelReceiverOptions, ReceiveResult } from './channel-receiver.js';
export { createChannelReceiver } from './channel-receiver.js';
export type { FormatPromptInput, PromptLimits, PromptMessage } from './format-prompt.js';
export {
  DEFAULT_PROMPT_LIMITS,
  escapeAttribute,
  escapeText,
  formatPrompt,
  toPromptMessage,
} from './format-prompt.js';
export { formatTimestamp, formatWallClock } from './format-time.js';
export type {
  InboundRecovery,
  Inbox,
  InboxOptions,
  PendingContextQuery,
  RouteStatus,
  StoreResult,
} from './inbox.js';
export { createInbox, InboundValidationError } from './inbox.js';
export type { InboundRouter, RouteInboundOptions, RouteOutcome } from './route-inbound.js';
export { createInboundRouter, routeInbound } from './route-inbound.js';
export type { StoredInbound, StoredInboundStatus } from './stored-inbound.js';
export type { ContextReason, TriggerDecision } from './trigger-decision.js';
export { decideTrigger, describeTrigger, triggerPattern } from './trigger-decision.js';
export type { Turn } from './turn.js';
export { chatOf, sessionKeyFor, turnOf } from './turn.js';
export type { BuildTurnPromptOptions, TurnPrompt } from './turn-prompt.js';
export { buildTurnPrompt } from './turn-prompt.js';
