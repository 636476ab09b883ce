import fs from 'node:fs/promises';
import path from 'node:path';
import { ChannelError, splitMessage } from '@nanoclaw/channel-registry';
import type { Attachment, OutboundMessage, SendResult } from '@nanoclaw/core';
import { type Api, InputFile } from 'grammy';
import type { Message } from 'grammy/types';
import { toChannelError } from './errors.js';

export const TELEGRAM_MAX_TEXT = 4096;
export const TELEGRAM_MAX_CAPTION = 1024;
/** The Bot API accepts uploads up to 50 MB (10 MB for photos). */
export const TELEGRAM_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** Bigger photos go as documents (Telegram would refuse them as photos). */
export const TELEGRAM_MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);
/** `sendAudio` takes MP3 and M4A (shown in the music player); other audio goes as a document. */
const AUDIO_TYPES = new Set(['audio/mpeg', 'audio/mp4', 'audio/x-m4a', 'audio/m4a']);

export type TelegramUploadMethod = 'sendPhoto' | 'sendVoice' | 'sendAudio' | 'sendDocument';

/**
 * The Bot API call for a file, by its (sniffed) type and size: a JPEG/PNG/WebP up to 10 MB is a photo, OGG (Opus)
 * a voice note, MP3/M4A an audio track, anything else a document.
 */
export function uploadMethod(mimeType: string, sizeBytes: number): TelegramUploadMethod {
  const type = mimeType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (PHOTO_TYPES.has(type) && sizeBytes <= TELEGRAM_MAX_PHOTO_BYTES) return 'sendPhoto';
  if (type === 'audio/ogg' || type === 'audio/opus') return 'sendVoice';
  if (AUDIO_TYPES.has(type)) return 'sendAudio';
  return 'sendDocument';
}

/**
 * Parts already delivered per idempotency key: when one part of a split message fails (a 429 on part 3), the
 * outbox's retry sends only the parts still missing. Bounded; the oldest keys go first.
 */
export interface SendProgress {
  get(key: string): string[];
  set(key: string, ids: string[]): void;
  delete(key: string): void;
}

export function createSendProgress(maxKeys = 500): SendProgress {
  const map = new Map<string, string[]>();
  return {
    get: (key) => [...(map.get(key) ?? [])],
    set(key, ids) {
      map.delete(key);
      map.set(key, ids);
      if (map.size > maxKeys) map.delete(map.keys().next().value as string);
    },
    delete: (key) => map.delete(key),
  };
}

type Step = { kind: 'text'; text: string } | { kind: 'file'; attachment: Attachment; caption?: string };

/**
 * The platform calls for one outbound message: the text split at 4096 (words, code fences and links kept whole),
 * then each attachment. A single attachment with a text that fits a caption (1024) goes as one message.
 */
export function planSteps(message: Pick<OutboundMessage, 'text' | 'attachments'>): Step[] {
  const attachments = message.attachments ?? [];
  const text = message.text.trim();
  const [only] = attachments;
  if (only && attachments.length === 1 && text.length > 0 && text.length <= TELEGRAM_MAX_CAPTION) {
    return [{ kind: 'file', attachment: only, caption: text }];
  }
  const textSteps: Step[] = splitMessage(text, TELEGRAM_MAX_TEXT).map((part) => ({
    kind: 'text',
    text: part,
  }));
  return [...textSteps, ...attachments.map((attachment): Step => ({ kind: 'file', attachment }))];
}

/** Sends one outbound message; on failure throws a `ChannelError` (429 → retryAfterMs) and remembers progress. */
export async function sendOutbound(
  api: Api,
  message: OutboundMessage,
  progress: SendProgress,
): Promise<SendResult> {
  const steps = planSteps(message);
  if (steps.length === 0)
    throw new ChannelError('telegram: nothing to send (empty text, no attachments)', { permanent: true });
  const done = progress.get(message.idempotencyKey);
  for (let index = done.length; index < steps.length; index += 1) {
    const step = steps[index] as Step;
    const options = sendOptions(message, index === 0);
    try {
      const sent =
        step.kind === 'text'
          ? await api.sendMessage(message.chatId, step.text, options)
          : await sendFile(api, message.chatId, step, options);
      done.push(String(sent.message_id));
    } catch (error) {
      if (done.length > 0) progress.set(message.idempotencyKey, done);
      throw toChannelError(error, step.kind === 'text' ? 'sendMessage' : 'send file');
    }
  }
  progress.delete(message.idempotencyKey);
  return { platformMessageIds: done };
}

interface CommonOptions {
  message_thread_id?: number;
  reply_parameters?: { message_id: number; allow_sending_without_reply: boolean };
}

function sendOptions(message: OutboundMessage, first: boolean): CommonOptions {
  const reply =
    message.replyToPlatformMessageId === undefined ? Number.NaN : Number(message.replyToPlatformMessageId);
  return {
    ...threadOptions(message.threadId),
    ...(first && Number.isInteger(reply)
      ? { reply_parameters: { message_id: reply, allow_sending_without_reply: true } }
      : {}),
  };
}

/** `message_thread_id` for a forum topic id (ignored when it is not a number). */
export function threadOptions(threadId: string | undefined): { message_thread_id?: number } {
  const thread = threadId === undefined ? Number.NaN : Number(threadId);
  return Number.isInteger(thread) ? { message_thread_id: thread } : {};
}

async function sendFile(
  api: Api,
  chatId: string,
  step: Extract<Step, { kind: 'file' }>,
  options: CommonOptions,
): Promise<Message> {
  const { attachment } = step;
  const file = await localFile(attachment);
  const input = new InputFile(file.path, attachment.name);
  const extra = { ...options, ...(step.caption ? { caption: step.caption } : {}) };
  switch (uploadMethod(attachment.mimeType, file.size)) {
    case 'sendPhoto':
      return api.sendPhoto(chatId, input, extra);
    case 'sendVoice':
      return api.sendVoice(chatId, input, extra);
    case 'sendAudio':
      return api.sendAudio(chatId, input, extra);
    default:
      return api.sendDocument(chatId, input, extra);
  }
}

/** Outbound refs are absolute paths (the host resolves them against the group folder before `send`). */
async function localFile(attachment: Attachment): Promise<{ path: string; size: number }> {
  if (!path.isAbsolute(attachment.ref)) {
    throw new ChannelError(`telegram: attachment ref must be an absolute path (got ${attachment.ref})`, {
      permanent: true,
    });
  }
  const stat = await fs.stat(attachment.ref).catch(() => undefined);
  if (!stat?.isFile())
    throw new ChannelError(`telegram: attachment ${attachment.ref} is not a file`, { permanent: true });
  if (stat.size > TELEGRAM_MAX_UPLOAD_BYTES) {
    throw new ChannelError(`telegram: attachment ${attachment.name} is over 50 MB`, { permanent: true });
  }
  return { path: attachment.ref, size: stat.size };
}
