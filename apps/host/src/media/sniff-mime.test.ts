import { describe, expect, it } from 'vitest';
import { sniffMime } from './sniff-mime.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1');

describe('sniffMime', () => {
  it('judges by the bytes: a PNG is image/png whatever it is called', async () => {
    expect(await sniffMime(PNG, 'photo.png')).toEqual({
      mimeType: 'image/png',
      extension: 'png',
      matchesName: true,
    });
    expect(await sniffMime(PNG, 'photo')).toMatchObject({ mimeType: 'image/png', matchesName: true });
  });

  it('says when the name claims another type than the bytes are', async () => {
    expect(await sniffMime(PDF, 'receipt.jpg')).toEqual({
      mimeType: 'application/pdf',
      extension: 'pdf',
      matchesName: false,
    });
  });

  it('UTF-8 text is text (the name picks csv or markdown); binary noise is octet-stream', async () => {
    expect(await sniffMime(Buffer.from('a,b\n1,2\n'), 'data.csv')).toMatchObject({
      mimeType: 'text/csv',
      matchesName: true,
    });
    expect(await sniffMime(Buffer.from('hello ✓'), 'note')).toMatchObject({ mimeType: 'text/plain' });
    expect(await sniffMime(Buffer.from('hello'), 'x.png')).toMatchObject({
      mimeType: 'text/plain',
      matchesName: false,
    });
    expect(await sniffMime(Buffer.from([0, 1, 2, 255, 254]), 'blob.bin')).toEqual({
      mimeType: 'application/octet-stream',
      matchesName: true,
    });
  });

  it('takes the several names of one audio format as agreeing (.ogg / .oga / .opus)', async () => {
    const ogg = Buffer.concat([
      Buffer.from('OggS\0\x02', 'latin1'),
      Buffer.alloc(22),
      Buffer.from('OpusHead\x01\x01', 'latin1'),
      Buffer.alloc(20),
    ]);
    for (const name of ['voice.ogg', 'voice.oga', 'voice.opus']) {
      const sniffed = await sniffMime(ogg, name);
      expect(sniffed.mimeType).toMatch(/^audio\/(ogg|opus)$/);
      expect(sniffed.matchesName).toBe(true);
    }
  });
});
