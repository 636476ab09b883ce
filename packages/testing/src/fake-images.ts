/**
 * The images a runtime sent to a fake model, read from a recorded request body in any of the three wire
 * formats the fakes speak: Anthropic Messages (`image` blocks with a base64 source, also inside tool results),
 * OpenAI Responses (`input_image` with a data URL) and Chat Completions (`image_url` parts with a data URL).
 */
import { isRecord } from './fake-server-kit.js';

/** One image a request carried, decoded. */
export interface FakeImage {
  /** The media type the request declared (`image/png`). */
  mediaType: string;
  bytes: Buffer;
}

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

/**
 * Every image in a request body, in document order (the whole conversation the request carries, so an image
 * of an earlier turn is in later requests too). Images sent by URL rather than inline are left out.
 */
export function imagesOf(body: unknown): FakeImage[] {
  const images: FakeImage[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isRecord(node)) return;
    const image = imageOf(node);
    if (image) {
      images.push(image);
      return;
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(body);
  return images;
}

/** The image a content part holds inline, in whichever of the three formats it is. */
function imageOf(part: Record<string, unknown>): FakeImage | undefined {
  if (part.type === 'image' && isRecord(part.source) && part.source.type === 'base64') {
    const { media_type: mediaType, data } = part.source;
    if (typeof mediaType === 'string' && typeof data === 'string') {
      return { mediaType, bytes: Buffer.from(data, 'base64') };
    }
  }
  if (part.type === 'input_image' && typeof part.image_url === 'string') return fromDataUrl(part.image_url);
  if (part.type === 'image_url') {
    const url = isRecord(part.image_url) ? part.image_url.url : part.image_url;
    if (typeof url === 'string') return fromDataUrl(url);
  }
  return undefined;
}

function fromDataUrl(url: string): FakeImage | undefined {
  const match = DATA_URL.exec(url);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { mediaType: match[1], bytes: Buffer.from(match[2], 'base64') };
}
