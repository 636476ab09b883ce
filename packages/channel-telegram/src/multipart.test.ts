import { describe, expect, it } from 'vitest';
import { parseMultipart } from './multipart.js';

describe('parseMultipart', () => {
  it('reads grammy-style parts: no spaces, unquoted file names, binary data', () => {
    const bytes = Buffer.from([0, 1, 2, 0x0d, 0x0a, 255]);
    const body = Buffer.concat([
      Buffer.from('--B\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n-100\r\n--B\r\n'),
      Buffer.from(
        'content-disposition:form-data;name="abc";filename=report.txt\r\ncontent-type:application/octet-stream\r\n\r\n',
      ),
      bytes,
      Buffer.from('\r\n--B--\r\n'),
    ]);
    const parts = parseMultipart(body, 'multipart/form-data; boundary=B');
    expect(parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ['chat_id', undefined, undefined],
      ['abc', 'report.txt', 'application/octet-stream'],
    ]);
    expect(parts[0]?.data.toString()).toBe('-100');
    expect(parts[1]?.data).toEqual(bytes);
  });

  it('reads standard quoted headers and a quoted boundary', () => {
    const body = Buffer.from(
      '--x y\r\nContent-Disposition: form-data; name="doc"; filename="a b.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--x y--',
    );
    const [part] = parseMultipart(body, 'multipart/form-data; boundary="x y"');
    expect(part).toMatchObject({ name: 'doc', filename: 'a b.pdf', contentType: 'application/pdf' });
    expect(part?.data.toString()).toBe('%PDF');
  });

  it('refuses a body without a boundary', () => {
    expect(() => parseMultipart(Buffer.from(''), 'multipart/form-data')).toThrow(/boundary/);
  });
});
