import { NanoclawError } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { isSessionIdShape, unwrap } from './client.js';
import { isOpencodeSessionInvalid, OpencodeProviderError } from './errors.js';

const notFound = {
  name: 'NotFoundError',
  data: { message: 'Session not found: ses_doesnotexist000000000000' },
};

function result(status: number, error?: unknown, data?: unknown) {
  return Promise.resolve({ data, error, response: new Response(null, { status }) });
}

describe('isOpencodeSessionInvalid', () => {
  it('is true for session loss only', () => {
    expect(isOpencodeSessionInvalid(new OpencodeProviderError('session-invalid', 'gone'))).toBe(true);
    expect(isOpencodeSessionInvalid(notFound)).toBe(true);
    expect(isOpencodeSessionInvalid(new Error('wrapped', { cause: notFound }))).toBe(true);
  });

  it('is false for transient failures and other errors', () => {
    expect(isOpencodeSessionInvalid(new Error('ECONNREFUSED 127.0.0.1:9'))).toBe(false);
    expect(
      isOpencodeSessionInvalid(new OpencodeProviderError('request-failed', 'Session not found: x')),
    ).toBe(false);
    expect(isOpencodeSessionInvalid(new OpencodeProviderError('server-exited', 'exited'))).toBe(false);
    expect(
      isOpencodeSessionInvalid({ name: 'UnknownError', data: { message: 'Unexpected server error.' } }),
    ).toBe(false);
    expect(
      isOpencodeSessionInvalid({ name: 'NotFoundError', data: { message: 'File not found: a.txt' } }),
    ).toBe(false);
    expect(isOpencodeSessionInvalid(undefined)).toBe(false);
  });
});

describe('unwrap', () => {
  it('returns the data of a 2xx answer', async () => {
    await expect(unwrap('x', result(200, undefined, { id: 'ses_1' }))).resolves.toEqual({ id: 'ses_1' });
    await expect(unwrap('x', result(204))).resolves.toBeUndefined();
  });

  it('turns a 404 NotFoundError into session-invalid', async () => {
    const error = await unwrap('session.get', result(404, notFound)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpencodeProviderError);
    expect(error).toMatchObject({ code: 'session-invalid', status: 404 });
    expect(isOpencodeSessionInvalid(error)).toBe(true);
  });

  it('turns other HTTP errors and network errors into request-failed', async () => {
    const server = await unwrap(
      'session.get',
      result(500, { name: 'UnknownError', data: { message: 'boom' } }),
    ).catch((caught: unknown) => caught);
    expect(server).toMatchObject({
      code: 'request-failed',
      status: 500,
      message: 'session.get failed (HTTP 500): boom',
    });
    const network = await unwrap('session.get', Promise.reject(new TypeError('fetch failed'))).catch(
      (caught: unknown) => caught,
    );
    expect(network).toMatchObject({ code: 'request-failed', message: 'session.get: fetch failed' });
    expect(isOpencodeSessionInvalid(server)).toBe(false);
    expect(isOpencodeSessionInvalid(network)).toBe(false);
  });
});

describe('isSessionIdShape', () => {
  it('accepts opencode ids only', () => {
    expect(isSessionIdShape('ses_df33d465bffeyy8WPtv7HInb8L')).toBe(true);
    expect(isSessionIdShape('00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(isSessionIdShape('ses_../../etc')).toBe(false);
    expect(isSessionIdShape('')).toBe(false);
  });
});

describe('OpencodeProviderError', () => {
  it('is a NanoclawError with its code and cause, recognised by isInstance across copies', () => {
    const cause = new Error('underneath');
    const error = new OpencodeProviderError('session-invalid', 'gone', { cause });
    expect(error.code).toBe('session-invalid');
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(false);
    expect(NanoclawError.isInstance(error)).toBe(true);
    expect(OpencodeProviderError.isInstance(error)).toBe(true);
    expect(OpencodeProviderError.isInstance(new NanoclawError('session-invalid', 'other package'))).toBe(
      false,
    );
    expect(OpencodeProviderError.isInstance(new Error('plain'))).toBe(false);
  });
});
