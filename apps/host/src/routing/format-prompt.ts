import type { Attachment } from '@nanoclaw/core';
import type { MediaResult, SavedMedia } from '../media/media-result.js';
import { formatTimestamp } from './format-time.js';
import type { StoredInbound } from './stored-inbound.js';

/** One chat message as the agent sees it. */
export interface PromptMessage {
  senderName: string;
  /** Epoch ms. */
  sentAt: number;
  text: string;
  replyTo?: { senderName?: string; text?: string };
  attachments?: readonly Attachment[];
  /** The attachments as the host fetched them into the group folder (replaces `attachments` when set). */
  media?: readonly MediaResult[];
}

export interface PromptLimits {
  /** Newest context messages kept. Default 50. */
  maxContextMessages: number;
  /** UTF-8 bytes of formatted context kept (newest first). Default 20,000. */
  maxContextBytes: number;
  /** A context message's text is cut after this many characters. Default 2,000. */
  maxContextMessageChars: number;
  /** A quoted reply is cut after this many characters. Default 500. */
  maxQuoteChars: number;
}

export const DEFAULT_PROMPT_LIMITS: PromptLimits = {
  maxContextMessages: 50,
  maxContextBytes: 20_000,
  maxContextMessageChars: 2_000,
  maxQuoteChars: 500,
};

export interface FormatPromptInput {
  /** Earlier messages of the chat that did not trigger (background), oldest first. */
  context: readonly PromptMessage[];
  /** The messages this turn answers, oldest first. Never cut. */
  turn: readonly PromptMessage[];
}

/**
 * Formats a turn as XML-style blocks. Deterministic (same input, same text). Every user-controlled string is
 * escaped (`&`, `<`, `>` and, in attributes, `"`), so no text can close a `<message>` or forge another
 * sender's line:
 *
 * ```
 * <context>
 * <message from="Bob" at="2026-11-24 08:58 +00:00">lunch?</message>
 * </context>
 * <messages>
 * <message from="Alice" at="2026-11-24 09:00 +00:00"><quote from="Bob">lunch?</quote>@Andy book a table</message>
 * </messages>
 * ```
 */
export function formatPrompt(
  input: FormatPromptInput,
  options: { timezone: string; limits?: Partial<PromptLimits> },
): string {
  const limits = { ...DEFAULT_PROMPT_LIMITS, ...options.limits };
  const line = (message: PromptMessage, maxChars?: number) =>
    formatMessage(message, options.timezone, limits.maxQuoteChars, maxChars);
  const context = capContext(
    input.context.map((message) => line(message, limits.maxContextMessageChars)),
    limits,
  );
  const blocks: string[] = [];
  if (context.length > 0) blocks.push(['<context>', ...context, '</context>'].join('\n'));
  blocks.push(['<messages>', ...input.turn.map((message) => line(message)), '</messages>'].join('\n'));
  return blocks.join('\n');
}

/** Keeps the newest lines within the count and byte caps, in their original order. */
function capContext(lines: readonly string[], limits: PromptLimits): string[] {
  const kept: string[] = [];
  let bytes = 0;
  for (let index = lines.length - 1; index >= 0 && kept.length < limits.maxContextMessages; index -= 1) {
    const entry = lines[index] ?? '';
    const size = Buffer.byteLength(entry, 'utf8') + 1;
    if (bytes + size > limits.maxContextBytes) break;
    bytes += size;
    kept.push(entry);
  }
  return kept.reverse();
}

function formatMessage(
  message: PromptMessage,
  timezone: string,
  maxQuoteChars: number,
  maxChars?: number,
): string {
  const from = escapeAttribute(message.senderName);
  const at = escapeAttribute(formatTimestamp(message.sentAt, timezone));
  const quote = message.replyTo ? formatQuote(message.replyTo, maxQuoteChars) : '';
  const text = escapeText(maxChars === undefined ? message.text : cut(message.text, maxChars));
  const attachments = message.media
    ? message.media.map(formatMedia).join('')
    : (message.attachments ?? []).map(formatAttachment).join('');
  return `<message from="${from}" at="${at}">${quote}${text}${attachments}</message>`;
}

function formatQuote(replyTo: NonNullable<PromptMessage['replyTo']>, maxChars: number): string {
  const from = replyTo.senderName === undefined ? '' : ` from="${escapeAttribute(replyTo.senderName)}"`;
  return `<quote${from}>${escapeText(cut(replyTo.text ?? '', maxChars))}</quote>`;
}

function formatAttachment(attachment: Attachment): string {
  return `<attachment name="${escapeAttribute(attachment.name)}" type="${escapeAttribute(attachment.mimeType)}" size="${attachment.sizeBytes}"/>`;
}

/**
 * A fetched file: `<attachment name="photo.jpg" type="image/jpeg" size="123" path="/workspace/group/inbox/…"/>`,
 * with a `note` when the bytes were not what the name said and a `<transcript>` for a voice note; a file that
 * could not be fetched: `<attachment name="big.mov" error="…"/>`.
 */
function formatMedia(media: MediaResult): string {
  if (!media.ok)
    return `<attachment name="${escapeAttribute(media.name)}" error="${escapeAttribute(media.reason)}"/>`;
  const { attachment } = media;
  const note = media.mismatch
    ? ` note="${escapeAttribute(`the name says ${media.mismatch.claimed} but the bytes are ${attachment.mimeType}; saved with .${attachment.name.split('.').at(-1) ?? ''} added`)}"`
    : '';
  const open = `<attachment name="${escapeAttribute(media.originalName)}" type="${escapeAttribute(attachment.mimeType)}" size="${attachment.sizeBytes}" path="${escapeAttribute(media.sandboxPath)}"${note}`;
  const transcript = formatTranscript(media.transcript);
  return transcript ? `${open}>${transcript}</attachment>` : `${open}/>`;
}

function formatTranscript(transcript: SavedMedia['transcript']): string {
  if (!transcript) return '';
  if ('text' in transcript) return `<transcript>${escapeText(transcript.text)}</transcript>`;
  if ('error' in transcript)
    return `<transcript error="${escapeAttribute(`transcription failed: ${transcript.error}`)}"/>`;
  return '<transcript error="no transcription is configured (TRANSCRIBE_BASE_URL); the audio file is at the path"/>';
}

function cut(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)} […]`;
}

export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;').replace(/\r?\n/g, ' ');
}

/** The prompt view of a stored message: display name (else id), platform send time, reply context. */
export function toPromptMessage(
  stored: StoredInbound,
  replyText?: string,
  media?: readonly MediaResult[],
): PromptMessage {
  const { message } = stored;
  const prompt: PromptMessage = {
    senderName: message.sender.name?.trim() || message.sender.id,
    sentAt: stored.sentAt,
    text: message.text,
  };
  if (message.replyTo) {
    const text = message.replyTo.text ?? replyText;
    prompt.replyTo = {
      ...(message.replyTo.senderName === undefined ? {} : { senderName: message.replyTo.senderName }),
      ...(text === undefined ? {} : { text }),
    };
  }
  if (message.attachments?.length) prompt.attachments = message.attachments;
  if (media?.length) prompt.media = media;
  return prompt;
}
