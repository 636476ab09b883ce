import { describe, expect, it } from 'vitest';
import { imagesOf } from './fake-images.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9, 9]);
const b64 = (bytes: Buffer) => bytes.toString('base64');

describe('imagesOf', () => {
  it('reads Anthropic image blocks, also inside a tool result', () => {
    const body = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: b64(PNG) } },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              content: [
                { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: b64(JPEG) } },
              ],
            },
          ],
        },
      ],
    };
    expect(imagesOf(body)).toEqual([
      { mediaType: 'image/png', bytes: PNG },
      { mediaType: 'image/jpeg', bytes: JPEG },
    ]);
  });

  it('reads Responses input_image data URLs', () => {
    const body = {
      input: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', image_url: `data:image/png;base64,${b64(PNG)}` },
          ],
        },
      ],
    };
    expect(imagesOf(body)).toEqual([{ mediaType: 'image/png', bytes: PNG }]);
  });

  it('reads Chat Completions image_url data URLs and leaves remote URLs out', () => {
    const body = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${b64(JPEG)}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    };
    expect(imagesOf(body)).toEqual([{ mediaType: 'image/jpeg', bytes: JPEG }]);
  });

  it('finds nothing in a text-only or non-JSON body', () => {
    expect(imagesOf({ messages: [{ role: 'user', content: 'hi' }] })).toEqual([]);
    expect(imagesOf('not json')).toEqual([]);
  });
});
