import fs from 'node:fs/promises';
import path from 'node:path';
import { ChannelError, splitMessage } from '@nanoclaw/channel-registry';
import type { Attachment, OutboundMessage, SendResult } from '@nanoclaw/core';
import type { AnyMessageContent, WAMessage } from 'baileys';
import { toChannelError } from './errors.js';
import type { WhatsAppSocket } from './socket.js';

/** WhatsApp takes far longer texts, but a wall of text reads badly on a phone: split at 4000. */
export const WHATSAPP_MAX_TEXT = 4000;
export const WHATSAPP_MAX_CAPTION = 1024;
/** WhatsApp's document limit is 2 GB; the adapter reads files into memory, so it stops at 100 MB. */
export const WHATSAPP_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);

type Step = { kind: 'text'; text: string } | { kind: 'file'; attachment: Attachment; caption?: string };

export function planSteps(message: Pick<OutboundMessage, 'text' | 'attachments'>): Step[] {
  const attachments = message.attachments ?? [];
  const text = message.text.trim();
  const [only] = attachments;
  if (only && attachments.length === 1 && text.length > 0 && text.length <= WHATSAPP_MAX_CAPTION) {
    return [{ kind: 'file', attachment: only, caption: text }];
  }
  const textSteps = splitMessage(text, WHATSAPP_MAX_TEXT).map((part): Step => ({ kind: 'text', text: part }));
  return [...textSteps, ...attachments.map((attachment): Step => ({ kind: 'file', attachment }))];
}

export interface SendContext {
  socket: WhatsAppSocket | undefined;
  /** The message to quote on the first part (from the recent-inbound cache), if known. */
  quoted?: WAMessage;
  /** Ids of parts already delivered for this idempotency key (a retry after a partial failure). */
  done: string[];
  /** Called with every message this send put on WhatsApp (own-message filter, retry cache). */
  onSent(message: WAMessage): void;
}

/** Sends the parts not yet in `context.done`; on failure throws a `ChannelError`, `done` holding what went out. */
export async function sendOutbound(message: OutboundMessage, context: SendContext): Promise<SendResult> {
  const steps = planSteps(message);
  if (steps.length === 0)
    throw new ChannelError('whatsapp: nothing to send (empty text, no attachments)', { permanent: true });
  for (let index = context.done.length; index < steps.length; index += 1) {
    const socket = context.socket;
    if (!socket) throw new ChannelError('whatsapp is not connected');
    const step = steps[index] as Step;
    const options = index === 0 && context.quoted ? { quoted: context.quoted } : undefined;
    let sent: WAMessage | undefined;
    try {
      sent = await socket.sendMessage(message.chatId, await contentOf(step), options);
    } catch (error) {
      throw toChannelError(error, step.kind === 'text' ? 'sendMessage' : 'sendMessage (file)');
    }
    if (!sent?.key.id) throw new ChannelError('whatsapp sendMessage returned no message id');
    context.onSent(sent);
    context.done.push(sent.key.id);
  }
  return { platformMessageIds: [...context.done] };
}

async function contentOf(step: Step): Promise<AnyMessageContent> {
  if (step.kind === 'text') return { text: step.text };
  const { attachment, caption } = step;
  const bytes = await readLocalFile(attachment);
  const withCaption = caption ? { caption } : {};
  if (IMAGE_TYPES.has(attachment.mimeType))
    return { image: bytes, mimetype: attachment.mimeType, ...withCaption };
  // An OGG (Opus) file is a voice note, played in the chat like one recorded on a phone.
  if (attachment.mimeType === 'audio/ogg')
    return { audio: bytes, mimetype: 'audio/ogg; codecs=opus', ptt: true };
  return { document: bytes, fileName: attachment.name, mimetype: attachment.mimeType, ...withCaption };
}

/** Outbound refs are absolute paths (the host resolves them against the group folder before `send`). */
async function readLocalFile(attachment: Attachment): Promise<Buffer> {
  if (!path.isAbsolute(attachment.ref)) {
    throw new ChannelError(`whatsapp: attachment ref must be an absolute path (got ${attachment.ref})`, {
      permanent: true,
    });
  }
  const stat = await fs.stat(attachment.ref).catch(() => undefined);
  if (!stat?.isFile())
    throw new ChannelError(`whatsapp: attachment ${attachment.ref} is not a file`, { permanent: true });
  if (stat.size > WHATSAPP_MAX_UPLOAD_BYTES) {
    throw new ChannelError(`whatsapp: attachment ${attachment.name} is over 100 MB`, { permanent: true });
  }
  return fs.readFile(attachment.ref);
}
