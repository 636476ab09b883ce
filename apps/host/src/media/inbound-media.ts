import path from 'node:path';
import { AttachmentTooLargeError } from '@nanoclaw/channel-registry';
import { SANDBOX_PATHS } from '@nanoclaw/container-runner';
import {
  type Attachment,
  type ChannelAdapter,
  errorMessage,
  type Logger,
  NanoclawError,
} from '@nanoclaw/core';
import mime from 'mime-types';
import type { StoredInbound } from '../routing/stored-inbound.js';
import { formatSize, MB } from './format-size.js';
import { ensureInboxFolder, findSaved, inboxDate, readSaved, writeInboxFile } from './inbox-writer.js';
import type { MediaResult, SavedMedia } from './media-result.js';
import { safeFileName, uniqueNames } from './safe-file-name.js';
import { sniffMime } from './sniff-mime.js';
import type { Transcriber } from './transcriber.js';

/** How long one download may take. */
export const DOWNLOAD_TIMEOUT_MS = 60_000;

export interface InboundMediaOptions {
  /** The adapter of the turn's chat (undefined when it is not running). */
  adapter: Pick<ChannelAdapter, 'downloadAttachment'> | undefined;
  group: { id: string; folder: string };
  /** The group folder on the host. */
  groupDir: string;
  /** True when the agent sees the group folder at its host path (the `process` runtime). */
  hostPaths: boolean;
  /** `MEDIA_MAX_MB` in MB. */
  maxMb: number;
  /** The host's zone: the inbox's date folders follow it. */
  timezone: string;
  transcriber?: Transcriber | undefined;
  /** The run's abort signal. */
  signal: AbortSignal;
  logger: Logger;
  timeoutMs?: number;
}

/**
 * Downloads the attachments of a turn's messages into the group's `inbox/<date>/`, by stored message id. Never
 * rejects: a file that cannot be fetched is a `FailedMedia` with the reason.
 */
export async function fetchTurnMedia(
  options: InboundMediaOptions,
  messages: readonly StoredInbound[],
): Promise<Map<number, MediaResult[]>> {
  const results = new Map<number, MediaResult[]>();
  for (const stored of messages) {
    const attachments = stored.message.attachments ?? [];
    if (attachments.length === 0) continue;
    const names = uniqueNames(attachments.map((attachment) => safeFileName(attachment.name)));
    const list: MediaResult[] = [];
    for (const [index, attachment] of attachments.entries())
      list.push(await fetchOne(options, stored, attachment, names[index] ?? 'file'));
    results.set(stored.id, list);
  }
  return results;
}

async function fetchOne(
  options: InboundMediaOptions,
  stored: StoredInbound,
  attachment: Attachment,
  fileName: string,
): Promise<MediaResult> {
  const fail = (reason: string): MediaResult => ({ ok: false, name: attachment.name, reason });
  const maxBytes = Math.floor(options.maxMb * MB);
  if (!options.adapter?.downloadAttachment) return fail('this channel cannot fetch files');
  if (attachment.sizeBytes > maxBytes) return fail(tooBig(attachment.sizeBytes, options.maxMb));
  try {
    const dir = await ensureInboxFolder(options.groupDir, inboxDate(stored.sentAt, options.timezone));
    const base = `${safeFileName(stored.message.platformMessageId, 'message')}-${fileName}`;
    const saved = await findSaved(dir, base);
    const bytes = saved ? await readSaved(saved) : await download(options, attachment.ref, maxBytes);
    if (bytes.length > maxBytes) return fail(tooBig(bytes.length, options.maxMb));
    const sniffed = await sniffMime(bytes, fileName);
    const renamed = !sniffed.matchesName && sniffed.extension !== undefined;
    const hostPath =
      saved ??
      (await writeInboxFile(options.groupDir, dir, renamed ? `${base}.${sniffed.extension}` : base, bytes));
    const ref = path
      .relative(path.dirname(path.dirname(dir)), hostPath)
      .split(path.sep)
      .join('/');
    const media: SavedMedia = {
      ok: true,
      attachment: { name: path.basename(hostPath), mimeType: sniffed.mimeType, sizeBytes: bytes.length, ref },
      originalName: attachment.name,
      hostPath,
      sandboxPath: options.hostPaths
        ? path.join(path.resolve(options.groupDir), ref)
        : path.posix.join(SANDBOX_PATHS.group, ref),
      ...(renamed ? { mismatch: { claimed: mime.lookup(fileName) || attachment.mimeType } } : {}),
    };
    if (sniffed.mimeType.startsWith('audio/')) media.transcript = await transcribe(options, media);
    return media;
  } catch (error) {
    options.logger.warn({ err: error, message: stored.id, name: attachment.name }, 'inbound file not saved');
    return fail(failureReason(error, options));
  }
}

/** Why a file was not saved, for the user: no host paths, no stack; the adapter's own words for a download. */
function failureReason(error: unknown, options: InboundMediaOptions): string {
  if (NanoclawError.isInstance(error) && error.code === 'media-unsafe-path')
    return "the group's inbox folder is not a plain folder (a symlink?), so nothing was saved";
  if (AttachmentTooLargeError.isInstance(error))
    return error.sizeBytes === undefined
      ? `it is over the ${options.maxMb} MB limit (MEDIA_MAX_MB)`
      : tooBig(error.sizeBytes, options.maxMb);
  if (options.signal.aborted) return 'the turn was stopped before it was fetched';
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return `the download took longer than ${Math.round((options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS) / 1000)} s`;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && (error as { syscall?: unknown }).syscall)
    return `the host could not save it (${code})`;
  return `it could not be fetched: ${errorMessage(error)}`;
}

async function download(options: InboundMediaOptions, ref: string, maxBytes: number): Promise<Uint8Array> {
  const signal = AbortSignal.any([
    options.signal,
    AbortSignal.timeout(options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS),
  ]);
  // fetchOne checked that the adapter can download.
  const fetch = options.adapter?.downloadAttachment;
  if (!fetch) throw new Error('this channel cannot fetch files');
  // An adapter that ignores the signal must not hold the turn: the timeout ends the wait either way.
  const stopped = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  stopped.catch(() => undefined); // the download won the race
  return Promise.race([fetch.call(options.adapter, ref, { maxBytes, signal }), stopped]);
}

async function transcribe(
  options: InboundMediaOptions,
  media: SavedMedia,
): Promise<SavedMedia['transcript']> {
  if (!options.transcriber) return { unconfigured: true };
  try {
    const text = await options.transcriber.transcribe(
      {
        hostPath: media.hostPath,
        group: options.group,
        name: media.attachment.name,
        mimeType: media.attachment.mimeType,
      },
      options.signal,
    );
    return { text };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** "it is 31.4 MB, over the 20 MB limit (MEDIA_MAX_MB)". */
export function tooBig(sizeBytes: number, maxMb: number): string {
  return `it is ${formatSize(sizeBytes)}, over the ${maxMb} MB limit (MEDIA_MAX_MB)`;
}

/** What the user is told about a file of their message the agent did not get whole (none when all went well). */
export function mediaNotice(result: MediaResult): string | undefined {
  if (!result.ok) return `I couldn't get ${result.name}: ${result.reason}.`;
  if (result.transcript && 'error' in result.transcript)
    return `I couldn't transcribe ${result.originalName}: ${result.transcript.error}`;
  return undefined;
}
