import { NanoclawError } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { ClaudeProviderError, isClaudeSessionInvalid } from './errors.js';

describe('isClaudeSessionInvalid', () => {
  it("matches Claude Code's texts for an unknown and a malformed resume id", () => {
    expect(
      isClaudeSessionInvalid(
        new Error(
          'Claude Code returned an error result: No conversation found with session ID: 00000000-0000-4000-8000-000000000000',
        ),
      ),
    ).toBe(true);
    expect(
      isClaudeSessionInvalid(
        'Error: --resume requires a valid session ID or session title when used with --print. Usage: claude -p --resume <session-id|title>. Provided value "not-a-uuid" is not a UUID and does not match any session title.',
      ),
    ).toBe(true);
  });

  it('follows the cause chain and honours the session-invalid code', () => {
    const inner = new Error('No conversation found with session ID: x');
    expect(isClaudeSessionInvalid(new Error('start failed', { cause: inner }))).toBe(true);
    expect(isClaudeSessionInvalid(new ClaudeProviderError('session-invalid', 'gone'))).toBe(true);
  });

  it('is false for other errors', () => {
    expect(isClaudeSessionInvalid(new Error('ECONNREFUSED 127.0.0.1:9'))).toBe(false);
    expect(isClaudeSessionInvalid(new ClaudeProviderError('runtime-exited', 'claude code exited'))).toBe(
      false,
    );
    expect(isClaudeSessionInvalid(undefined)).toBe(false);
    expect(isClaudeSessionInvalid({ message: 42 })).toBe(false);
  });
});

describe('ClaudeProviderError', () => {
  it('is a NanoclawError with its code and cause, recognised by isInstance across copies', () => {
    const cause = new Error('underneath');
    const error = new ClaudeProviderError('session-invalid', 'gone', { cause });
    expect(error.code).toBe('session-invalid');
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(false);
    expect(NanoclawError.isInstance(error)).toBe(true);
    expect(ClaudeProviderError.isInstance(error)).toBe(true);
    expect(ClaudeProviderError.isInstance(new NanoclawError('session-invalid', 'other package'))).toBe(false);
    expect(ClaudeProviderError.isInstance(new Error('plain'))).toBe(false);
  });
});
