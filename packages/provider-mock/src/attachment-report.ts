import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, type TurnInput } from '@nanoclaw/core';

/**
 * `/attachments`: one line per attachment of the turn as the agent got it (name, type, size, ref) and the
 * sha256 of the file at the ref under the session's cwd, so an end-to-end test can check the bytes reached
 * the agent's folder. A mock has no model, so it reads the file itself (a small file in a test).
 */
export function attachmentReport(input: TurnInput, cwd: string): string[] {
  const attachments = input.attachments ?? [];
  if (attachments.length === 0) return ['attachments: none'];
  return attachments.map((attachment) => {
    const head = `attachment: ${attachment.name} (${attachment.mimeType}, ${attachment.sizeBytes} bytes) at ${attachment.ref}`;
    try {
      const bytes = fs.readFileSync(path.resolve(cwd, attachment.ref));
      return `${head}: sha256 ${createHash('sha256').update(bytes).digest('hex')}`;
    } catch (error) {
      return `${head}: unreadable (${errorMessage(error)})`;
    }
  });
}
