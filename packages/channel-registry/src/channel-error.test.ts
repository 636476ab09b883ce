import { NanoclawError } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { ChannelError, channelErrorInfo } from './channel-error.js';

describe('ChannelError', () => {
  it('carries retryAfterMs, permanent and the cause', () => {
    const cause = new Error('429');
    const error = new ChannelError('rate limited', { retryAfterMs: 3000, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ChannelError');
    expect(error.retryAfterMs).toBe(3000);
    expect(error.permanent).toBeUndefined();
    expect(error.cause).toBe(cause);
    expect(channelErrorInfo(error)).toEqual({ retryAfterMs: 3000 });
  });

  it('is a NanoclawError whose code and retryable follow retryAfterMs and permanent', () => {
    const limited = new ChannelError('slow down', { retryAfterMs: 1000 });
    const gone = new ChannelError('chat not found', { permanent: true });
    const flaky = new ChannelError('socket reset');
    expect(NanoclawError.isInstance(gone)).toBe(true);
    expect(ChannelError.isInstance(gone)).toBe(true);
    expect(ChannelError.isInstance(new NanoclawError('rejected', 'other'))).toBe(false);
    expect([limited, gone, flaky].map((e) => [e.code, e.retryable])).toEqual([
      ['rate-limited', true],
      ['rejected', false],
      ['failed', true],
    ]);
  });

  it('reads only well-formed info, off any error shape', () => {
    expect(channelErrorInfo(Object.assign(new Error('x'), { permanent: true }))).toEqual({ permanent: true });
    expect(channelErrorInfo('nope')).toEqual({});
    expect(channelErrorInfo({ retryAfterMs: '5' })).toEqual({});
    expect(channelErrorInfo({ retryAfterMs: -1, permanent: 'yes' })).toEqual({});
    expect(channelErrorInfo({ retryAfterMs: 5, permanent: true })).toEqual({
      retryAfterMs: 5,
      permanent: true,
    });
  });
});
