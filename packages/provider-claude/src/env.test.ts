import { describe, expect, it } from 'vitest';
import { buildClaudeEnv, CLAUDE_FIXED_ENV, resolveAuthMode, resolveModel } from './env.js';

describe('buildClaudeEnv', () => {
  it('uses the session env only, never process.env, plus the fixed offline keys', () => {
    process.env.NANOCLAW_CLAUDE_ENV_LEAK = 'leaked';
    try {
      const env = buildClaudeEnv({
        PATH: '/bin',
        HOME: '/home/agent',
        ANTHROPIC_API_KEY: 'k',
        UNSET: undefined,
      });
      expect(env).toEqual({ PATH: '/bin', HOME: '/home/agent', ANTHROPIC_API_KEY: 'k', ...CLAUDE_FIXED_ENV });
      expect(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe('1');
      expect(env.IS_SANDBOX).toBe('1');
      expect(env.NANOCLAW_CLAUDE_ENV_LEAK).toBeUndefined();
    } finally {
      delete process.env.NANOCLAW_CLAUDE_ENV_LEAK;
    }
  });

  it('fills PATH and HOME when missing, wins over a session value for the fixed keys, adds retries and extras', () => {
    const env = buildClaudeEnv(
      { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '0' },
      { maxRetries: 0, extra: { FOO: 'bar' } },
    );
    expect(env.PATH).toBe('/usr/local/bin:/usr/bin:/bin');
    expect(env.HOME).toEqual(expect.any(String));
    expect(env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe('1');
    expect(env.CLAUDE_CODE_MAX_RETRIES).toBe('0');
    expect(env.FOO).toBe('bar');
  });
});

describe('resolveModel', () => {
  it('prefers the explicit model, then CLAUDE_MODEL, then ANTHROPIC_MODEL', () => {
    expect(resolveModel('a', { CLAUDE_MODEL: 'b', ANTHROPIC_MODEL: 'c' })).toBe('a');
    expect(resolveModel(undefined, { CLAUDE_MODEL: 'b', ANTHROPIC_MODEL: 'c' })).toBe('b');
    expect(resolveModel(' ', { ANTHROPIC_MODEL: 'c' })).toBe('c');
    expect(resolveModel(undefined, {})).toBeUndefined();
  });
});

describe('resolveAuthMode', () => {
  it("follows Claude Code's precedence", () => {
    expect(resolveAuthMode({})).toBe('none');
    expect(resolveAuthMode({ CLAUDE_CODE_OAUTH_TOKEN: 't' })).toBe('oauth-token');
    expect(resolveAuthMode({ ANTHROPIC_API_KEY: 'k', CLAUDE_CODE_OAUTH_TOKEN: 't' })).toBe('api-key');
    expect(resolveAuthMode({ ANTHROPIC_AUTH_TOKEN: 'k' })).toBe('api-key');
    expect(resolveAuthMode({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' })).toBe(
      'gateway',
    );
    expect(resolveAuthMode({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' })).toBe('none');
  });
});
