import { type DownloadAttachmentOptions, NanoclawError } from '@nanoclaw/core';
import { ChannelError } from './channel-error.js';

const marker = 'nanoclaw.error.attachment-too-large';
const symbol = Symbol.for(marker);

/** An inbound file over the host's limit: refused before (or while) reading it, never retried. */
export class AttachmentTooLargeError extends ChannelError {
  readonly [symbol] = true;
  /** The limit it was held to. */
  readonly maxBytes: number;
  /** Its size when the platform said it up front; absent when the bytes ran over the limit while reading. */
  readonly sizeBytes?: number;

  constructor(maxBytes: number, sizeBytes?: number) {
    super(
      sizeBytes === undefined
        ? `the file is larger than the ${maxBytes}-byte limit`
        : `the file is ${sizeBytes} bytes, over the ${maxBytes}-byte limit`,
      { permanent: true },
    );
    this.name = 'AttachmentTooLargeError';
    this.maxBytes = maxBytes;
    if (sizeBytes !== undefined) this.sizeBytes = sizeBytes;
  }

  static override isInstance(error: unknown): error is AttachmentTooLargeError {
    return NanoclawError.hasMarker(error, marker);
  }
}

/**
 * A download's body, held to `maxBytes`: refused at once when its `Content-Length` says more, else read until
 * the limit is passed (then the rest is not read). Stops when `signal` aborts.
 */
export async function readCappedResponse(
  response: Response,
  options: DownloadAttachmentOptions = {},
): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (options.maxBytes !== undefined && Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new AttachmentTooLargeError(options.maxBytes, declared);
  }
  if (!response.body) return new Uint8Array();
  return collectCapped(response.body, options);
}

/** The chunks of a stream as one buffer, held to `maxBytes` (leaving the loop cancels the stream). */
export async function collectCapped(
  chunks: AsyncIterable<Uint8Array>,
  options: DownloadAttachmentOptions = {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    options.signal?.throwIfAborted();
    total += chunk.byteLength;
    if (options.maxBytes !== undefined && total > options.maxBytes)
      throw new AttachmentTooLargeError(options.maxBytes);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
