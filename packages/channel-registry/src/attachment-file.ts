import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Attachment } from '@nanoclaw/core';

/** An outbound attachment's bytes, its `ref` read as a file path: absolute, or relative to `root` (default cwd). */
export function readAttachmentFile(
  attachment: Attachment,
  root: string = process.cwd(),
): Promise<Uint8Array> {
  return readFile(path.isAbsolute(attachment.ref) ? attachment.ref : path.resolve(root, attachment.ref));
}
