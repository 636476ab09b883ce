import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isSandboxError, type OpenedGroupFile, openGroupFile } from '@nanoclaw/container-runner';
import {
  type Attachment,
  type ChannelLimits,
  errorMessage,
  type Logger,
  NanoclawError,
} from '@nanoclaw/core';
import { formatSize, MB } from './format-size.js';
import { safeFileName, uniqueNames } from './safe-file-name.js';
import { sniffMime } from './sniff-mime.js';

/** The spool's folder under the host's data dir: outside every sandbox's mounts. */
export const OUTBOUND_FILES_DIR = 'outbox-files';
/** Spool folders of messages the outbox never settled (a crash) are removed after this long. */
export const SPOOL_MAX_AGE_MS = 3 * 24 * 60 * 60 * 1000;
/** How much of a file decides its type (`sniffMime` reads the magic numbers and probes for text). */
const SNIFF_BYTES = 64 * 1024;
/** The largest file the host copies when the channel states no limit (or is not running yet): the disk's guard. */
export const SPOOL_MAX_FILE_BYTES = 2 * 1024 * MB;

/** A file the agent named cannot be sent: the message says which and why, and that nothing was sent. */
export class OutboundFileError extends NanoclawError<'outbound-file'> {
  override readonly name = 'OutboundFileError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('outbound-file', message, options);
  }
}

export interface SpoolRequest {
  /** The group folder (host path) the paths are relative to. */
  groupDir: string;
  /** Paths relative to the group folder, as the runner normalized them. */
  paths: readonly string[];
  /** Names the spool folder (with a random suffix), e.g. the run id. */
  label: string;
  /** The channel type, for messages (`telegram`). */
  channel: string;
  /** The target adapter's limits; absent (adapter not running): no limit is checked here. */
  limits?: ChannelLimits;
}

export interface OutboundFileSpool {
  /** Absolute path of the spool (`<dataDir>/outbox-files`). */
  readonly root: string;
  /**
   * Checks every file (inside the group folder, no symlinks, a regular file, within the channel's limit) and copies
   * them into a new spool folder, typed from their bytes. All or nothing: any refusal throws `OutboundFileError`
   * and leaves no copy.
   */
  spool(request: SpoolRequest): Promise<Attachment[]>;
  /** Deletes the spool folders the attachments live in (a message delivered, or given up on). Never throws. */
  release(attachments: readonly Attachment[] | undefined): Promise<void>;
  /**
   * Deletes spool folders older than `maxAgeMs` (default three days), except those holding one of `keep` (the
   * attachments of messages still waiting to be sent); returns how many.
   */
  prune(options?: { maxAgeMs?: number; keep?: readonly Attachment[] }): Promise<number>;
}

export function createOutboundFileSpool(options: {
  root: string;
  logger: Logger;
  now?: () => number;
}): OutboundFileSpool {
  const root = path.resolve(options.root);
  const now = options.now ?? Date.now;
  const log = options.logger.child({ component: 'outbound-files' });
  return {
    root,
    async spool(request) {
      if (request.paths.length === 0) return [];
      if (request.limits && !request.limits.attachments)
        throw new OutboundFileError(`this chat cannot receive files (${request.channel}) — nothing was sent`);
      const opened = await openAll(request);
      const dir = path.join(root, `${labelHash(request.label)}-${randomUUID().slice(0, 8)}`);
      try {
        checkLimits(opened, request);
        await fs.mkdir(dir, { recursive: true, mode: 0o700 });
        const names = uniqueNames(opened.map((file) => safeFileName(path.basename(file.relPath))));
        const attachments: Attachment[] = [];
        for (const [index, file] of opened.entries())
          attachments.push(await copyOne(file, path.join(dir, names[index] ?? 'file')));
        return attachments;
      } catch (error) {
        await fs.rm(dir, { recursive: true, force: true });
        throw error;
      } finally {
        await Promise.all(opened.map((file) => file.handle.close().catch(() => undefined)));
      }
    },
    async release(attachments) {
      const dirs = new Set(
        (attachments ?? [])
          .map((attachment) => path.dirname(path.resolve(attachment.ref)))
          .filter((dir) => path.dirname(dir) === root),
      );
      for (const dir of dirs) {
        await fs.rm(dir, { recursive: true, force: true }).catch((error: unknown) => {
          log.warn({ dir, err: errorMessage(error) }, 'could not delete sent files from the spool');
        });
      }
    },
    async prune({ maxAgeMs = SPOOL_MAX_AGE_MS, keep = [] } = {}) {
      const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
      const kept = new Set(keep.map((attachment) => path.dirname(path.resolve(attachment.ref))));
      let removed = 0;
      for (const entry of entries) {
        const dir = path.join(root, entry.name);
        const stat = await fs.lstat(dir).catch(() => undefined);
        if (!stat || kept.has(dir) || now() - stat.mtimeMs < maxAgeMs) continue;
        await fs.rm(dir, { recursive: true, force: true });
        removed += 1;
      }
      if (removed > 0) log.info({ removed }, 'pruned old outbound files from the spool');
      return removed;
    },
  };
}

interface OpenedFile extends OpenedGroupFile {
  relPath: string;
}

/** Opens every path (no symlinks, regular files only); closes what it opened when one is refused. */
async function openAll(request: SpoolRequest): Promise<OpenedFile[]> {
  const opened: OpenedFile[] = [];
  try {
    for (const relPath of request.paths) {
      const file = await openGroupFile(request.groupDir, relPath).catch((error: unknown) => {
        throw refusal(relPath, error);
      });
      opened.push({ ...file, relPath });
    }
    return opened;
  } catch (error) {
    await Promise.all(opened.map((file) => file.handle.close().catch(() => undefined)));
    throw error;
  }
}

function refusal(relPath: string, error: unknown): OutboundFileError {
  const reason = isSandboxError(error, 'unsafe-path')
    ? errorMessage(error)
    : `${relPath}: ${errorMessage(error)}`;
  const hint = /ENOENT/.test(reason) ? ' (no such file in your group folder)' : '';
  return new OutboundFileError(`cannot send ${reason}${hint} — nothing was sent`, { cause: error });
}

function checkLimits(opened: readonly OpenedFile[], request: SpoolRequest): void {
  const max = request.limits?.maxAttachmentBytes ?? SPOOL_MAX_FILE_BYTES;
  for (const file of opened) {
    if (file.stat.size <= max) continue;
    const who =
      request.limits?.maxAttachmentBytes === undefined
        ? 'this host sends'
        : `${request.channel} bots can send`;
    throw new OutboundFileError(
      `${path.basename(file.relPath)} is ${formatSize(file.stat.size)}; ${who} files up to ${formatSize(max, 0)} — nothing was sent`,
    );
  }
}

/**
 * Copies from the opened descriptor (what was checked is what is copied), at most the size that was checked (a file
 * the agent keeps growing cannot fill the host's disk), and types the copy from its bytes.
 */
async function copyOne(file: OpenedFile, target: string): Promise<Attachment> {
  const name = path.basename(target);
  const output = await fs.open(target, 'wx', 0o600);
  if (file.stat.size === 0) await output.close();
  else
    await pipeline(
      file.handle.createReadStream({ start: 0, end: file.stat.size - 1, autoClose: false }),
      output.createWriteStream(),
    );
  const copied = await fs.open(target, 'r');
  try {
    const { size } = await copied.stat();
    const head = Buffer.alloc(Math.min(size, SNIFF_BYTES));
    await copied.read(head, 0, head.length, 0);
    const { mimeType } = await sniffMime(head, name);
    return { name, mimeType, sizeBytes: size, ref: target };
  } finally {
    await copied.close();
  }
}

function labelHash(label: string): string {
  return createHash('sha256').update(label).digest('hex').slice(0, 24);
}
