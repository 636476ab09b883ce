import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attachment } from '@nanoclaw/core';
import { afterAll, describe, expect, it } from 'vitest';
import { attachmentNote, INLINE_IMAGE_TYPES, isRemoteRef, sortAttachments } from './turn-attachments.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-turn-attachments-'));
const cwd = path.join(root, 'group');
fs.mkdirSync(path.join(cwd, 'inbox'), { recursive: true });
fs.writeFileSync(path.join(cwd, 'inbox', 'photo.png'), 'PNGDATA');
fs.writeFileSync(path.join(cwd, 'inbox', 'scan.pdf'), '%PDF-1.4');
fs.writeFileSync(path.join(root, 'secret.png'), 'SECRET');
fs.symlinkSync(path.join(root, 'secret.png'), path.join(cwd, 'inbox', 'escape.png'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const file = (name: string, mimeType: string, ref: string): Attachment => ({
  name,
  mimeType,
  sizeBytes: 7,
  ref,
});
const images = (a: Attachment) => INLINE_IMAGE_TYPES.has(a.mimeType);

describe('sortAttachments', () => {
  it('takes the accepted local files natively and names the others with their absolute path', async () => {
    const sorted = await sortAttachments(
      {
        text: 'look',
        attachments: [
          file('photo.png', 'image/png', 'inbox/photo.png'),
          file('scan.pdf', 'application/pdf', 'inbox/scan.pdf'),
        ],
      },
      cwd,
      images,
    );
    expect(sorted.native).toEqual([
      {
        attachment: file('photo.png', 'image/png', 'inbox/photo.png'),
        path: fs.realpathSync(path.join(cwd, 'inbox', 'photo.png')),
        sizeBytes: 7,
      },
    ]);
    expect(sorted.text).toBe(
      `look\n\n[attachment: scan.pdf (application/pdf, 7 bytes) at ${path.join(cwd, 'inbox', 'scan.pdf')}]`,
    );
  });

  it('names a missing file, a symlink out of the folder and a directory with why, and never throws', async () => {
    const sorted = await sortAttachments(
      {
        text: 'look',
        attachments: [
          file('gone.png', 'image/png', 'inbox/gone.png'),
          file('escape.png', 'image/png', 'inbox/escape.png'),
          file('inbox', 'image/png', 'inbox'),
          file('../secret.png', 'image/png', '../secret.png'),
        ],
      },
      cwd,
      () => true,
    );
    expect(sorted.native).toEqual([]);
    const lines = sorted.text.split('\n').slice(2);
    expect(lines[0]).toMatch(
      /^\[attachment: gone\.png .* at .*inbox\/gone\.png; it could not be read \(ENOENT/,
    );
    expect(lines[1]).toMatch(/escape\.png; it is outside the group folder and was not opened\]$/);
    expect(lines[2]).toMatch(/; it is not a regular file\]$/);
    expect(lines[3]).toMatch(/secret\.png; it is outside the group folder and was not opened\]$/);
  });

  it('lets accept keep a running total, and names remote references as they are', async () => {
    let total = 0;
    const sorted = await sortAttachments(
      {
        text: 'two',
        attachments: [
          file('a.png', 'image/png', 'inbox/photo.png'),
          file('b.png', 'image/png', 'inbox/photo.png'),
          file('c.png', 'image/png', 'https://example.com/c.png'),
        ],
      },
      cwd,
      (_a, size) => {
        if (total + size > 10) return false;
        total += size;
        return true;
      },
    );
    expect(sorted.native.map((n) => n.attachment.name)).toEqual(['a.png']);
    expect(sorted.text).toContain('[attachment: b.png (image/png, 7 bytes) at ');
    expect(sorted.text).toContain('[attachment: c.png (image/png, 7 bytes) at https://example.com/c.png]');
  });
});

describe('notes and refs', () => {
  it('formats a note with and without a problem', () => {
    const a = file('x.pdf', 'application/pdf', 'x.pdf');
    expect(attachmentNote(a, '/g/x.pdf')).toBe('[attachment: x.pdf (application/pdf, 7 bytes) at /g/x.pdf]');
    expect(attachmentNote(a, '/g/x.pdf', 'too big')).toBe(
      '[attachment: x.pdf (application/pdf, 7 bytes) at /g/x.pdf; too big]',
    );
  });

  it('tells platform references from paths', () => {
    expect(isRemoteRef('https://x/y.png')).toBe(true);
    expect(isRemoteRef('inbox/2026-12-07/42-photo.png')).toBe(false);
    expect(isRemoteRef('/workspace/group/a.png')).toBe(false);
  });
});
