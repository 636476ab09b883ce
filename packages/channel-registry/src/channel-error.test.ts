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

  it('reads the info off any error shape', () => {
    expect(channelErrorInfo(Object.assign(new Error('x'), { permanent: true }))).toEqual({ permanent: true });
    expect(channelErrorInfo('nope')).toEqual({});
    expect(channelErrorInfo({ retryAfterMs: '5' })).toEqual({});
  });
});
