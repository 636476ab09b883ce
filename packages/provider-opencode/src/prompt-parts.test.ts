import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { promptParts } from './prompt-parts.js';

const cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-opencode-parts-')));
fs.mkdirSync(path.join(cwd, 'inbox'));
for (const name of ['photo.png', 'notes.txt', 'scan.pdf'])
  fs.writeFileSync(path.join(cwd, 'inbox', name), 'x');
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

const file = (name: string, mimeType: string) => ({ name, mimeType, sizeBytes: 1, ref: `inbox/${name}` });

describe('promptParts', () => {
  it('sends images and text files as file parts, names a PDF and a missing file in the text', async () => {
    const parts = await promptParts(
      {
        text: 'Look',
        attachments: [
          file('photo.png', 'image/png'),
          file('notes.txt', 'text/plain'),
          file('scan.pdf', 'application/pdf'),
          file('gone.png', 'image/png'),
        ],
      },
      cwd,
    );
    expect(parts.slice(1)).toEqual([
      {
        type: 'file',
        mime: 'image/png',
        filename: 'photo.png',
        url: pathToFileURL(path.join(cwd, 'inbox', 'photo.png')).href,
      },
      {
        type: 'file',
        mime: 'text/plain',
        filename: 'notes.txt',
        url: pathToFileURL(path.join(cwd, 'inbox', 'notes.txt')).href,
      },
    ]);
    const text = parts[0]?.type === 'text' ? parts[0].text : '';
    expect(text).toContain(
      `[attachment: scan.pdf (application/pdf, 1 bytes) at ${path.join(cwd, 'inbox', 'scan.pdf')}]`,
    );
    expect(text).toMatch(/gone\.png .*; it could not be read \(ENOENT/);
  });
});
