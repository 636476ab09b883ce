import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userInput } from './user-input.js';

const cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-codex-input-')));
fs.mkdirSync(path.join(cwd, 'inbox'));
fs.writeFileSync(path.join(cwd, 'inbox', 'photo.png'), 'png');
fs.writeFileSync(path.join(cwd, 'inbox', 'scan.pdf'), 'pdf');
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe('userInput', () => {
  it('is the text alone without attachments', async () => {
    expect(await userInput({ text: 'hi' }, cwd)).toEqual([{ type: 'text', text: 'hi', text_elements: [] }]);
  });

  it('sends images as localImage and names other and missing files with their absolute path', async () => {
    const items = await userInput(
      {
        text: 'Look',
        attachments: [
          { name: 'photo.png', mimeType: 'image/png', sizeBytes: 3, ref: 'inbox/photo.png' },
          { name: 'scan.pdf', mimeType: 'application/pdf', sizeBytes: 3, ref: 'inbox/scan.pdf' },
          { name: 'gone.jpg', mimeType: 'image/jpeg', sizeBytes: 3, ref: 'inbox/gone.jpg' },
        ],
      },
      cwd,
    );
    expect(items[1]).toEqual({ type: 'localImage', path: path.join(cwd, 'inbox', 'photo.png') });
    expect(items).toHaveLength(2);
    const text = items[0]?.type === 'text' ? items[0].text : '';
    expect(text).toContain(
      `[attachment: scan.pdf (application/pdf, 3 bytes) at ${path.join(cwd, 'inbox', 'scan.pdf')}]`,
    );
    expect(text).toMatch(/gone\.jpg .*; it could not be read \(ENOENT/);
  });
});
