import type http from 'node:http';
import { errorMessage, INBOUND_MAX_TEXT_LENGTH } from '@nanoclaw/core';
import { HttpError } from './http-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Largest JSON body the API reads. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Reads and parses a JSON request body of at most `limit` bytes. An empty body is `{}`. Throws `HttpError`
 * 413 (too large), 415 (not JSON) or 400 (malformed).
 */
export async function readJsonBody(
  req: http.IncomingMessage,
  limit = DEFAULT_BODY_LIMIT_BYTES,
): Promise<unknown> {
  checkContentType(req.headers['content-type']);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const text = await readText(req, limit);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'invalid-json', `the body is not valid JSON: ${errorMessage(error)}`);
  }
}

function checkContentType(contentType: string | undefined): void {
  if (contentType === undefined) return;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json' || mediaType.endsWith('+json') || mediaType === '') return;
  throw new HttpError(415, 'unsupported-media-type', `the body must be application/json (got ${mediaType})`);
}

function readText(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      // Strict: invalid bytes would otherwise become U+FFFD and be stored as if the sender had written them.
      try {
        resolve(utf8.decode(Buffer.concat(chunks)));
      } catch {
        reject(new HttpError(400, 'invalid-encoding', 'the body is not valid UTF-8'));
      }
    });
    req.on('error', (error) => {
      if (failed) return;
      failed = true;
      reject(new HttpError(400, 'bad-request', `cannot read the body: ${error.message}`));
    });
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    'body-too-large',
    `the body is larger than the API's limit of ${limit.toLocaleString('en-US')} bytes (a message's text may be at most ${INBOUND_MAX_TEXT_LENGTH.toLocaleString('en-US')} characters)`,
  );
}
