/** One part of a multipart/form-data body. */
export interface MultipartPart {
  name: string;
  /** Set for file parts. */
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/**
 * A small, tolerant multipart/form-data parser for the fake Bot API server. grammy writes headers without spaces
 * and file names unquoted (`content-disposition:form-data;name="x";filename=a.txt`), which strict parsers reject.
 */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`--${marker}`);
  const parts: MultipartPart[] = [];
  let position = body.indexOf(delimiter);
  while (position >= 0) {
    const start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = parsePart(body.subarray(skipNewline(body, start), trimNewline(body, next)));
    if (part) parts.push(part);
    position = next;
  }
  return parts;
}

function skipNewline(body: Buffer, at: number): number {
  if (body[at] === 0x0d && body[at + 1] === 0x0a) return at + 2;
  return body[at] === 0x0a ? at + 1 : at;
}

function trimNewline(body: Buffer, at: number): number {
  if (body[at - 2] === 0x0d && body[at - 1] === 0x0a) return at - 2;
  return body[at - 1] === 0x0a ? at - 1 : at;
}

function parsePart(raw: Buffer): MultipartPart | undefined {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const headers = raw.subarray(0, split).toString('utf8').split('\r\n');
  const data = raw.subarray(split + 4);
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of headers) {
    const colon = line.indexOf(':');
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-type') contentType = value;
    if (key !== 'content-disposition') continue;
    name = dispositionParam(value, 'name');
    filename = dispositionParam(value, 'filename');
  }
  if (name === undefined) return undefined;
  return {
    name,
    data,
    ...(filename === undefined ? {} : { filename }),
    ...(contentType === undefined ? {} : { contentType }),
  };
}

function dispositionParam(value: string, key: string): string | undefined {
  const match = new RegExp(`(?:^|;)\\s*${key}=(?:"([^"]*)"|([^;]*))`, 'i').exec(value);
  if (!match) return undefined;
  return (match[1] ?? match[2] ?? '').trim();
}
