import { NanoclawError } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { CodexRpcError } from './app-server.js';
import { CodexProviderError, isCodexSessionInvalid } from './errors.js';

describe('isCodexSessionInvalid', () => {
  it('matches the exact texts app-server 0.169.0 answers for a thread it does not have', () => {
    for (const message of [
      'no rollout found for thread id 56e36f35-3184-4607-88b4-4cf04251c0e0',
      'invalid session id: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `o` at 2',
      'invalid session id: invalid length: expected length 32 for simple format, found 0',
      'thread not found: 01a2036a-0000-7000-8000-000000000000',
    ]) {
      expect(isCodexSessionInvalid(new CodexRpcError('thread/resume', -32600, message))).toBe(true);
      expect(isCodexSessionInvalid(new Error(message))).toBe(true);
      expect(isCodexSessionInvalid(message)).toBe(true);
    }
  });

  it('follows causes, and knows its own session-invalid errors', () => {
    const wrapped = new Error('resume failed', { cause: new Error('no rollout found for thread id x') });
    expect(isCodexSessionInvalid(wrapped)).toBe(true);
    expect(isCodexSessionInvalid(new CodexProviderError('session-invalid', 'gone'))).toBe(true);
  });

  it('does not match other failures', () => {
    expect(isCodexSessionInvalid(new Error('codex app-server exited (SIGKILL)'))).toBe(false);
    expect(isCodexSessionInvalid(new CodexProviderError('request-failed', 'Not initialized'))).toBe(false);
    expect(isCodexSessionInvalid(undefined)).toBe(false);
    expect(isCodexSessionInvalid({ message: 42 })).toBe(false);
  });
});

describe('CodexProviderError', () => {
  it('is a NanoclawError with its code and cause, recognised by isInstance across copies', () => {
    const cause = new Error('underneath');
    const error = new CodexProviderError('session-invalid', 'gone', { cause });
    expect(error.code).toBe('session-invalid');
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(false);
    expect(NanoclawError.isInstance(error)).toBe(true);
    expect(CodexProviderError.isInstance(error)).toBe(true);
    expect(CodexProviderError.isInstance(new NanoclawError('session-invalid', 'other package'))).toBe(false);
    expect(CodexProviderError.isInstance(new Error('plain'))).toBe(false);
  });
});
