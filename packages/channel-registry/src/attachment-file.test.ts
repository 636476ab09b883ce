import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAttachmentFile } from './attachment-file.js';

describe('readAttachmentFile', () => {
  it('reads an absolute ref as is and a relative one from the root', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'attachment-'));
    await writeFile(path.join(dir, 'a.txt'), 'hello');
    const attachment = { name: 'a.txt', mimeType: 'text/plain', sizeBytes: 5 };
    const absolute = await readAttachmentFile({ ...attachment, ref: path.join(dir, 'a.txt') });
    const relative = await readAttachmentFile({ ...attachment, ref: 'a.txt' }, dir);
    expect(Buffer.from(absolute).toString()).toBe('hello');
    expect(Buffer.from(relative).toString()).toBe('hello');
  });
});
