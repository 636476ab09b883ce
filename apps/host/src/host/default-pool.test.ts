import { describe, expect, it } from 'vitest';
import { configAsEnv, loadConfig } from '../config.js';

describe('configAsEnv', () => {
  it('hands providers the config as text: numbers kept, unset keys absent', () => {
    const config = loadConfig({
      env: { OPENAI_API_KEY: 'sk-test', CODEX_COMPACT_THRESHOLD_TOKENS: '50000' },
      cwd: '/tmp',
      envFile: '/nonexistent/.env',
    });
    const env = configAsEnv(config);
    expect(env.OPENAI_API_KEY).toBe('sk-test');
    expect(env.CODEX_COMPACT_THRESHOLD_TOKENS).toBe('50000');
    expect('CODEX_MAX_RETRIES' in env).toBe(false);
    expect(Object.values(env).every((value) => typeof value === 'string')).toBe(true);
  });
});
