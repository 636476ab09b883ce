/**
 * A turn's attachments, sorted for a runtime: the local files (under the session's cwd, the group folder) the
 * runtime takes natively, and the rest named in the prompt text with where they are, so the agent can open them
 * with its own tools. Shared by every provider, so each names files the same way.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { type Attachment, errorMessage, type TurnInput } from '@nanoclaw/core';

/** A local attachment the runtime takes natively. */
export interface NativeAttachment {
  attachment: Attachment;
  /** Its absolute path (resolved against the session's cwd, symlinks resolved). */
  path: string;
  /** Its size on disk. */
  sizeBytes: number;
}

export interface SortedAttachments {
  /** The files `accept` took, in the turn's order. */
  native: NativeAttachment[];
  /** The turn's text, with a line naming each other attachment appended. */
  text: string;
}

/** Image types every runtime's model takes inline (Anthropic's and OpenAI's common set). */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

/** Whether `ref` names a platform reference (`https:`, `tg:` …) rather than a path in the group folder. */
export function isRemoteRef(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(ref) && !/^[a-z]:[\\/]/i.test(ref);
}

/** The prompt line naming an attachment the runtime did not take natively (`problem`: why it is not usable). */
export function attachmentNote(attachment: Attachment, where: string, problem?: string): string {
  const what = `${attachment.name} (${attachment.mimeType}, ${attachment.sizeBytes} bytes) at ${where}`;
  return problem ? `[attachment: ${what}; ${problem}]` : `[attachment: ${what}]`;
}

/** `text` with `notes` appended as lines after a blank line. */
export function withNotes(text: string, notes: readonly string[]): string {
  return notes.length > 0 ? `${text}\n\n${notes.join('\n')}` : text;
}

/**
 * Sorts `input.attachments`: a local file that exists inside `cwd` and that `accept` takes (called in order,
 * with the file's size on disk, so it can keep a running total) is native; the others are named in the text
 * with their absolute path, and a file that cannot be used (missing, not a file, outside the folder) says so.
 * Never throws: a bad attachment never fails the turn.
 */
export async function sortAttachments(
  input: TurnInput,
  cwd: string,
  accept: (attachment: Attachment, sizeBytes: number) => boolean,
): Promise<SortedAttachments> {
  const native: NativeAttachment[] = [];
  const notes: string[] = [];
  for (const attachment of input.attachments ?? []) {
    if (isRemoteRef(attachment.ref)) {
      notes.push(attachmentNote(attachment, attachment.ref));
      continue;
    }
    const where = path.resolve(cwd, attachment.ref);
    const found = await localFile(cwd, where);
    if ('problem' in found) notes.push(attachmentNote(attachment, where, found.problem));
    else if (accept(attachment, found.sizeBytes)) native.push({ attachment, ...found });
    else notes.push(attachmentNote(attachment, where));
  }
  return { native, text: withNotes(input.text, notes) };
}

/** The real path and size of a regular file inside `cwd`, or why it is not usable. */
async function localFile(
  cwd: string,
  where: string,
): Promise<{ path: string; sizeBytes: number } | { problem: string }> {
  try {
    const [real, root] = await Promise.all([fs.realpath(where), fs.realpath(cwd)]);
    const inside = path.relative(root, real);
    if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
      return { problem: 'it is outside the group folder and was not opened' };
    }
    const stat = await fs.stat(real);
    if (!stat.isFile()) return { problem: 'it is not a regular file' };
    return { path: real, sizeBytes: stat.size };
  } catch (error) {
    return { problem: `it could not be read (${errorMessage(error)})` };
  }
}
