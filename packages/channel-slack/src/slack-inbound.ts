import type { Attachment, InboundMessageInput } from '@nanoclaw/core';
import { slackToMarkdown } from './slack-format.js';

/** The fields of a Slack `message` / `app_mention` event this channel reads. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  parent_user_id?: string;
  client_msg_id?: string;
  files?: SlackFile[];
}

export interface SlackFile {
  id?: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

export interface SlackIdentity {
  /** The bot's user id (`auth.test` user_id): mentions look like `<@U…>`. */
  botUserId: string;
  /** The bot's bot id (`auth.test` bot_id): its own messages carry it. */
  botId?: string;
}

/** Message subtypes that are someone saying something; the rest (edits, joins, deletions) are ignored. */
const CONVERSATIONAL_SUBTYPES = new Set([
  undefined,
  'file_share',
  'thread_broadcast',
  'me_message',
  'bot_message',
]);

export type SlackEventVerdict =
  | { kind: 'message'; message: InboundMessageInput }
  | { kind: 'ignore'; reason: string };

export interface ToInboundOptions extends SlackIdentity {
  channel: string;
  accountId: string;
  /** Deliver messages of other bots (never the bot's own). Default false. */
  allowBots?: boolean;
  /** Sender display name, when known. */
  senderName?: string;
}

/** Turns a Slack message event into the host's inbound message, or says why it is ignored. */
export function toInboundMessage(event: SlackMessageEvent, options: ToInboundOptions): SlackEventVerdict {
  if (event.type !== 'message' && event.type !== 'app_mention') {
    return { kind: 'ignore', reason: `event ${event.type}` };
  }
  if (!CONVERSATIONAL_SUBTYPES.has(event.subtype))
    return { kind: 'ignore', reason: `subtype ${event.subtype}` };
  if (!event.channel || !event.ts) return { kind: 'ignore', reason: 'no channel or ts' };
  const own =
    (event.user !== undefined && event.user === options.botUserId) ||
    (event.bot_id !== undefined && event.bot_id === options.botId);
  if (own) return { kind: 'ignore', reason: 'own message' };
  const fromBot = event.bot_id !== undefined || event.subtype === 'bot_message';
  if (fromBot && !options.allowBots) return { kind: 'ignore', reason: 'message from another bot' };
  const senderId = event.user ?? event.bot_id;
  if (!senderId) return { kind: 'ignore', reason: 'no sender' };

  const text = event.text ?? '';
  const threadId = event.thread_ts && event.thread_ts !== event.ts ? event.thread_ts : undefined;
  const mentionsAssistant =
    event.type === 'app_mention' ||
    mentionsUser(text, options.botUserId) ||
    event.channel_type === 'im' ||
    (threadId !== undefined && event.parent_user_id === options.botUserId);
  const attachments = (event.files ?? []).flatMap((file): Attachment[] => {
    const ref = file.url_private_download ?? file.url_private;
    if (!ref) return [];
    return [
      {
        name: (file.name ?? file.title ?? file.id ?? 'file').slice(0, 255) || 'file',
        mimeType: file.mimetype || 'application/octet-stream',
        sizeBytes: Math.max(0, Math.trunc(file.size ?? 0)),
        ref,
      },
    ];
  });

  const message: InboundMessageInput = {
    channel: options.channel,
    accountId: options.accountId,
    chatId: event.channel,
    platformMessageId: event.ts,
    sender: {
      id: senderId,
      ...(options.senderName ? { name: options.senderName.slice(0, 256) } : {}),
      ...(fromBot ? { isBot: true } : {}),
    },
    text: slackToMarkdown(text),
    sentAt: tsToIso(event.ts),
    mentionsAssistant,
  };
  if (threadId !== undefined) {
    message.threadId = threadId;
    message.replyTo = { platformMessageId: threadId };
  }
  if (attachments.length > 0) message.attachments = attachments.slice(0, 32);
  return { kind: 'message', message };
}

/** True when `text` holds Slack's mention entity for `userId`: `<@U123>` or `<@U123|name>`. */
export function mentionsUser(text: string, userId: string | undefined): boolean {
  if (!userId) return false;
  return text.includes(`<@${userId}>`) || text.includes(`<@${userId}|`);
}

/** Slack's `1712345678.000200` → ISO 8601. */
export function tsToIso(ts: string): string {
  const seconds = Number(ts);
  const date = Number.isFinite(seconds) ? new Date(Math.round(seconds * 1000)) : new Date();
  return date.toISOString();
}
