import type { Attachment, InboundMessageInput } from '@nanoclaw/core';
import {
  isJidGroup,
  isJidNewsletter,
  isJidStatusBroadcast,
  isLidUser,
  isPnUser,
  jidDecode,
  jidNormalizedUser,
  normalizeMessageContent,
  type proto,
  toNumber,
  type WAMessage,
} from 'baileys';
import { encodeMediaRef, toBase64, type WhatsAppMediaType } from './media-ref.js';

export const WHATSAPP_CHANNEL = 'whatsapp';

/** The linked account itself: its phone-number jid and its LID (both normalised, no device). */
export interface WhatsAppSelf {
  pn?: string;
  lid?: string;
  name?: string;
}

export interface MapContext {
  accountId: string;
  self: WhatsAppSelf;
}

type MediaMessage =
  | proto.Message.IImageMessage
  | proto.Message.IVideoMessage
  | proto.Message.IAudioMessage
  | proto.Message.IDocumentMessage
  | proto.Message.IStickerMessage;

const MEDIA_KINDS: ReadonlyArray<{ field: keyof proto.IMessage; type: WhatsAppMediaType; ext: string }> = [
  { field: 'imageMessage', type: 'image', ext: 'jpg' },
  { field: 'videoMessage', type: 'video', ext: 'mp4' },
  { field: 'audioMessage', type: 'audio', ext: 'ogg' },
  { field: 'documentMessage', type: 'document', ext: 'bin' },
  { field: 'stickerMessage', type: 'sticker', ext: 'webp' },
];

/** Message fields that may carry `contextInfo` (mentions, the quoted message). */
const CONTEXT_FIELDS: ReadonlyArray<keyof proto.IMessage> = [
  'extendedTextMessage',
  'imageMessage',
  'videoMessage',
  'audioMessage',
  'documentMessage',
  'stickerMessage',
];

/**
 * A Baileys `WAMessage` as the host's `InboundMessageInput`, or null for what is not a chat message: status
 * broadcasts, newsletters, protocol messages (revokes, edits, key distribution), reactions, polls, empty stubs.
 * Wrappers (ephemeral, view-once, document-with-caption) are unwrapped first.
 */
export function toInboundMessage(message: WAMessage, context: MapContext): InboundMessageInput | null {
  const { key } = message;
  const remoteJid = key.remoteJid;
  if (!remoteJid || !key.id || isJidStatusBroadcast(remoteJid) || isJidNewsletter(remoteJid)) return null;
  const content = normalizeMessageContent(message.message);
  if (!content) return null;
  const text = textOf(content);
  const attachments = attachmentsOf(content, key.id);
  if (text === '' && attachments.length === 0) return null;
  const contextInfo = contextInfoOf(content);
  const replyTo = replyOf(contextInfo);
  return {
    channel: WHATSAPP_CHANNEL,
    accountId: context.accountId,
    chatId: chatIdOf(message),
    platformMessageId: key.id,
    sender: senderOf(message, context.self),
    text,
    sentAt: sentAtOf(message),
    mentionsAssistant: mentionsSelf(contextInfo, context.self),
    ...(replyTo ? { replyTo } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}

/** Groups keep their `…@g.us` jid; a direct chat is the peer's phone-number jid when known, else its LID. */
export function chatIdOf(message: WAMessage): string {
  const { remoteJid, remoteJidAlt } = message.key;
  const jid = remoteJid ?? '';
  if (isJidGroup(jid)) return jid;
  return preferPn(jid, remoteJidAlt);
}

export function isGroupMessage(message: WAMessage): boolean {
  return isJidGroup(message.key.remoteJid ?? '') === true;
}

function senderOf(message: WAMessage, self: WhatsAppSelf): InboundMessageInput['sender'] {
  const { key } = message;
  if (key.fromMe) {
    const id = self.pn ?? self.lid ?? 'me';
    return { id, ...(self.name ? { name: self.name.slice(0, 256) } : {}), isBot: false };
  }
  const raw = isGroupMessage(message)
    ? preferPn(key.participant ?? '', key.participantAlt)
    : preferPn(key.remoteJid ?? '', key.remoteJidAlt);
  const id = raw || 'unknown';
  const name = message.pushName?.trim() || jidDecode(id)?.user;
  return { id, ...(name ? { name: name.slice(0, 256) } : {}), isBot: false };
}

function preferPn(jid: string, alt: string | undefined): string {
  if (isLidUser(jid) && alt && isPnUser(alt)) return jidNormalizedUser(alt);
  return jid ? jidNormalizedUser(jid) : '';
}

/** Protobuf longs arrive as numbers, `Long` objects or (from JSON) decimal strings. */
function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  if (typeof value === 'object' && value !== null && 'low' in value)
    return toNumber(value as Parameters<typeof toNumber>[0]);
  return Number.NaN;
}

function sentAtOf(message: WAMessage): string {
  const seconds = numberOf(message.messageTimestamp);
  return new Date(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : Date.now()).toISOString();
}

/** The text the user wrote: plain, extended (links, mentions, replies) or a media caption. */
export function textOf(content: proto.IMessage): string {
  return (
    content.conversation ??
    content.extendedTextMessage?.text ??
    content.imageMessage?.caption ??
    content.videoMessage?.caption ??
    content.documentMessage?.caption ??
    ''
  );
}

function contextInfoOf(content: proto.IMessage): proto.IContextInfo | undefined {
  for (const field of CONTEXT_FIELDS) {
    const part = content[field] as { contextInfo?: proto.IContextInfo | null } | null | undefined;
    if (part?.contextInfo) return part.contextInfo;
  }
  return undefined;
}

/** True when the message @mentions the linked account (by phone number or LID) or replies to one of its messages. */
export function mentionsSelf(contextInfo: proto.IContextInfo | undefined, self: WhatsAppSelf): boolean {
  if (!contextInfo) return false;
  const mine = new Set([self.pn, self.lid].filter((j): j is string => Boolean(j)));
  const isMine = (jid: string | null | undefined) => Boolean(jid) && mine.has(jidNormalizedUser(jid ?? ''));
  if ((contextInfo.mentionedJid ?? []).some(isMine)) return true;
  return Boolean(contextInfo.stanzaId) && isMine(contextInfo.participant);
}

function replyOf(contextInfo: proto.IContextInfo | undefined): InboundMessageInput['replyTo'] {
  if (!contextInfo?.stanzaId) return undefined;
  const quoted = contextInfo.quotedMessage
    ? textOf(normalizeMessageContent(contextInfo.quotedMessage) ?? {})
    : '';
  const author = contextInfo.participant ? jidDecode(contextInfo.participant)?.user : undefined;
  return {
    platformMessageId: contextInfo.stanzaId,
    ...(author ? { senderName: author } : {}),
    ...(quoted ? { text: quoted.slice(0, 10_000) } : {}),
  };
}

/** Media on the message; `ref` is a self-contained `wa-media:` reference (see `downloadAttachment`). */
export function attachmentsOf(content: proto.IMessage, messageId: string): Attachment[] {
  const out: Attachment[] = [];
  for (const { field, type, ext } of MEDIA_KINDS) {
    const media = content[field] as MediaMessage | null | undefined;
    const mediaKey = toBase64(media?.mediaKey);
    if (!media || !mediaKey) continue;
    const mimeType = media.mimetype?.split(';')[0]?.trim() || 'application/octet-stream';
    const fileName = 'fileName' in media && media.fileName ? media.fileName : `${type}-${messageId}.${ext}`;
    const size = numberOf(media.fileLength);
    out.push({
      name: fileName.slice(0, 255),
      mimeType,
      sizeBytes: Number.isFinite(size) && size > 0 ? size : 0,
      ref: encodeMediaRef({
        type,
        mediaKey,
        ...(media.directPath ? { directPath: media.directPath } : {}),
        ...(media.url ? { url: media.url } : {}),
      }),
    });
  }
  return out;
}

/** True when the text carries `@<number>` of the linked account (phone number or LID user), as WhatsApp writes it. */
export function textMentionsSelf(text: string, self: WhatsAppSelf): boolean {
  const users = [self.pn, self.lid].map((jid) => (jid ? jidDecode(jid)?.user : undefined)).filter(Boolean);
  return users.some((user) => new RegExp(`(^|[^\\w@])@${user}(?!\\d)`).test(text));
}
