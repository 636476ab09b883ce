import type { Attachment, InboundMessageInput } from '@nanoclaw/core';
import type { Message, MessageEntity, User } from 'grammy/types';

export const TELEGRAM_CHANNEL = 'telegram';

/** Who the bot is, for mention detection. */
export interface TelegramBotIdentity {
  id: number;
  username: string;
}

export interface MapContext {
  accountId: string;
  bot: TelegramBotIdentity;
}

/**
 * A Telegram message as the host's `InboundMessageInput`, or null when it carries nothing for the agent (service
 * messages: joins, pins, title changes, ...). Ids are strings: chat id, message id, user id.
 */
export function toInboundMessage(message: Message, context: MapContext): InboundMessageInput | null {
  const text = message.text ?? message.caption ?? '';
  const attachments = attachmentsOf(message);
  if (text === '' && attachments.length === 0) return null;
  const reply = message.reply_to_message;
  return {
    channel: TELEGRAM_CHANNEL,
    accountId: context.accountId,
    chatId: String(message.chat.id),
    platformMessageId: String(message.message_id),
    ...(message.is_topic_message && message.message_thread_id !== undefined
      ? { threadId: String(message.message_thread_id) }
      : {}),
    sender: senderOf(message),
    text,
    sentAt: new Date(message.date * 1000).toISOString(),
    mentionsAssistant: mentionsBot(message, context.bot),
    ...(reply
      ? {
          replyTo: {
            platformMessageId: String(reply.message_id),
            ...(reply.from ? { senderName: displayName(reply.from) } : {}),
            ...(reply.text || reply.caption
              ? { text: (reply.text ?? reply.caption ?? '').slice(0, 10_000) }
              : {}),
          },
        }
      : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}

function senderOf(message: Message): InboundMessageInput['sender'] {
  if (message.from) {
    return {
      id: String(message.from.id),
      name: displayName(message.from).slice(0, 256),
      isBot: message.from.is_bot,
    };
  }
  const chat = message.sender_chat ?? message.chat;
  const name = 'title' in chat && chat.title ? chat.title : String(chat.id);
  return { id: String(chat.id), name: name.slice(0, 256) };
}

export function displayName(user: User): string {
  const full = [user.first_name, user.last_name].filter(Boolean).join(' ').trim();
  return full || user.username || String(user.id);
}

/**
 * True when the message addresses the bot through Telegram itself: an `@username` mention entity, a `text_mention`
 * of the bot's user, a `/command@username`, or a reply to one of the bot's messages.
 */
export function mentionsBot(message: Message, bot: TelegramBotIdentity): boolean {
  if (message.reply_to_message?.from?.id === bot.id) return true;
  const text = message.text ?? message.caption ?? '';
  const entities: MessageEntity[] = message.entities ?? message.caption_entities ?? [];
  const handle = `@${bot.username}`.toLowerCase();
  return entities.some((entity) => {
    const slice = text.slice(entity.offset, entity.offset + entity.length).toLowerCase();
    if (entity.type === 'mention') return slice === handle;
    if (entity.type === 'text_mention') return entity.user.id === bot.id;
    if (entity.type === 'bot_command') return slice.endsWith(handle);
    return false;
  });
}

/** Files on the message; `ref` is the Telegram `file_id` (download with `getFile`). */
export function attachmentsOf(message: Message): Attachment[] {
  const out: Attachment[] = [];
  const id = message.message_id;
  if (message.document) {
    const d = message.document;
    out.push(file(d.file_name ?? `document-${id}`, d.mime_type, d.file_size, d.file_id));
  }
  const photo = message.photo?.reduce((best, size) =>
    size.width * size.height > best.width * best.height ? size : best,
  );
  if (photo) out.push(file(`photo-${id}.jpg`, 'image/jpeg', photo.file_size, photo.file_id));
  if (message.video)
    out.push(
      file(
        message.video.file_name ?? `video-${id}.mp4`,
        message.video.mime_type ?? 'video/mp4',
        message.video.file_size,
        message.video.file_id,
      ),
    );
  if (message.audio)
    out.push(
      file(
        message.audio.file_name ?? `audio-${id}.mp3`,
        message.audio.mime_type ?? 'audio/mpeg',
        message.audio.file_size,
        message.audio.file_id,
      ),
    );
  if (message.voice)
    out.push(
      file(
        `voice-${id}.ogg`,
        message.voice.mime_type ?? 'audio/ogg',
        message.voice.file_size,
        message.voice.file_id,
      ),
    );
  return out;
}

function file(name: string, mimeType: string | undefined, size: number | undefined, ref: string): Attachment {
  return {
    name: name.slice(0, 255) || 'file',
    mimeType: mimeType || 'application/octet-stream',
    sizeBytes: size ?? 0,
    ref,
  };
}

/** True when the text carries `@username` of the bot as a word (for text that has no entities, e.g. a draft). */
export function textMentions(text: string, username: string | undefined): boolean {
  if (!username) return false;
  const escaped = username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w@])@${escaped}(?!\\w)`, 'i').test(text);
}
