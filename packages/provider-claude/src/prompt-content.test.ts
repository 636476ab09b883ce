import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attachment } from '@nanoclaw/core';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_INLINE_IMAGE_BYTES, promptContent } from './prompt-content.js';

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-claude-prompt-'));
fs.mkdirSync(path.join(cwd, 'inbox'));
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
fs.writeFileSync(path.join(cwd, 'inbox', 'photo.png'), PNG);
fs.writeFileSync(path.join(cwd, 'inbox', 'scan.pdf'), '%PDF-1.4');
fs.writeFileSync(path.join(cwd, 'inbox', 'huge.png'), Buffer.alloc(MAX_INLINE_IMAGE_BYTES + 1));
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

const file = (name: string, mimeType: string, sizeBytes: number): Attachment => ({
  name,
  mimeType,
  sizeBytes,
  ref: `inbox/${name}`,
});

describe('promptContent', () => {
  it('is the plain text when the turn has no attachment', async () => {
    expect(await promptContent({ text: 'hi' }, cwd)).toBe('hi');
  });

  it('inlines an image as a base64 image block and names a PDF with its absolute path', async () => {
    const content = await promptContent(
      {
        text: 'Look',
        attachments: [file('photo.png', 'image/png', PNG.length), file('scan.pdf', 'application/pdf', 8)],
      },
      cwd,
    );
    expect(content).toEqual([
      {
        type: 'text',
        text: `Look\n\n[attachment: scan.pdf (application/pdf, 8 bytes) at ${path.join(cwd, 'inbox', 'scan.pdf')}]`,
      },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') } },
    ]);
  });

  it('names an image over the 5 MB (base64) limit and a missing one instead of failing', async () => {
    const content = await promptContent(
      {
        text: 'Look',
        attachments: [
          file('huge.png', 'image/png', MAX_INLINE_IMAGE_BYTES + 1),
          file('gone.png', 'image/png', 3),
        ],
      },
      cwd,
    );
    expect(typeof content).toBe('string');
    expect(content).toContain(
      `huge.png (image/png, ${MAX_INLINE_IMAGE_BYTES + 1} bytes) at ${path.join(cwd, 'inbox', 'huge.png')}]`,
    );
    expect(content).toMatch(/gone\.png .*; it could not be read \(ENOENT/);
  });
});
