/** The WhatsApp media kinds an inbound attachment can be. */
export type WhatsAppMediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker';

/** What Baileys needs to fetch and decrypt a media file from WhatsApp's CDN, without the original message. */
export interface WhatsAppMediaRef {
  type: WhatsAppMediaType;
  directPath?: string;
  url?: string;
  /** Base64. */
  mediaKey: string;
}

const PREFIX = 'wa-media:v1:';

/** The attachment `ref` of an inbound WhatsApp file: self-contained, so it still downloads after a restart. */
export function encodeMediaRef(ref: WhatsAppMediaRef): string {
  return PREFIX + Buffer.from(JSON.stringify(ref)).toString('base64url');
}

export function decodeMediaRef(ref: string): WhatsAppMediaRef {
  if (!ref.startsWith(PREFIX)) throw new Error('not a WhatsApp media ref');
  const parsed = JSON.parse(
    Buffer.from(ref.slice(PREFIX.length), 'base64url').toString('utf8'),
  ) as WhatsAppMediaRef;
  if (typeof parsed.mediaKey !== 'string' || typeof parsed.type !== 'string')
    throw new Error('malformed WhatsApp media ref');
  return parsed;
}

/** Baileys keeps media keys as bytes; recorded JSON has them as base64 strings or `{ type: 'Buffer', data }`. */
export function toBase64(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object' && value !== null && 'data' in value) {
    const data = (value as { data: unknown }).data;
    if (typeof data === 'string') return data;
    if (Array.isArray(data)) return Buffer.from(data as number[]).toString('base64');
  }
  return undefined;
}
