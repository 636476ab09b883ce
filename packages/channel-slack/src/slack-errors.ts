import { ChannelError, type ChannelErrorOptions } from '@nanoclaw/channel-registry';
import { errorMessage } from '@nanoclaw/core';
import { ErrorCode } from '@slack/web-api';

/** An error `send` throws: a `ChannelError` (the outbox reads `retryAfterMs` and `permanent`) with Slack's code. */
export class SlackChannelError extends ChannelError {
  /** Slack's error code (`channel_not_found`, ...) when the Web API answered one. */
  readonly slackError?: string;

  constructor(message: string, options: ChannelErrorOptions & { slackError?: string } = {}) {
    super(message, options);
    this.name = 'SlackChannelError';
    if (options.slackError !== undefined) this.slackError = options.slackError;
  }
}

/** Web API errors no retry can fix: the chat, the token or the message itself is wrong. */
const PERMANENT_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'msg_too_long',
  'no_text',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
  'cannot_reply_to_message',
  'thread_reply_not_allowed',
  'invalid_arguments',
  'invalid_blocks',
  'user_not_found',
  'user_disabled',
  'user_not_visible',
  'cannot_dm_bot',
  'team_access_not_granted',
  'ekm_access_denied',
  'duplicate_channel_not_found',
  'file_not_found',
]);

interface SlackishError {
  code?: unknown;
  retryAfter?: unknown;
  data?: { error?: unknown };
  statusCode?: unknown;
}

/** Maps a @slack/web-api error (or any error) to a SlackChannelError with ChannelErrorInfo. */
export function toSlackChannelError(error: unknown, what: string): SlackChannelError {
  if (error instanceof SlackChannelError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SlackishError;
  const detail = errorMessage(error);
  if (e.code === ErrorCode.RateLimitedError && typeof e.retryAfter === 'number') {
    return new SlackChannelError(`${what}: rate limited by Slack (retry after ${e.retryAfter} s)`, {
      retryAfterMs: Math.max(0, e.retryAfter) * 1000,
      cause: error,
    });
  }
  if (e.code === ErrorCode.PlatformError && typeof e.data?.error === 'string') {
    const slackError = e.data.error;
    return new SlackChannelError(`${what}: Slack answered ${slackError}`, {
      permanent: PERMANENT_ERRORS.has(slackError),
      slackError,
      cause: error,
    });
  }
  if (e.code === ErrorCode.HTTPError && typeof e.statusCode === 'number') {
    // 4xx other than 429 will not get better on a retry; 5xx may.
    const permanent = e.statusCode >= 400 && e.statusCode < 500;
    return new SlackChannelError(`${what}: HTTP ${e.statusCode}`, { permanent, cause: error });
  }
  return new SlackChannelError(`${what}: ${detail}`, { cause: error });
}
