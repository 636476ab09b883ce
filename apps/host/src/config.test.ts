import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configSchema, loadConfig } from './config.js';
import { useCleanups } from './host/test-utils/cleanups.js';

const cleanups = useCleanups();
function tempDir(): string {
  return cleanups.scratch('nanoclaw-config');
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the embedded defaults with an empty environment', () => {
    const cwd = tempDir();
    const config = loadConfig({ env: {}, cwd });
    expect(config.NANOCLAW_HTTP_PORT).toBe(7420);
    expect(config.NANOCLAW_RUNTIME).toBe('auto');
    expect(config.ASSISTANT_NAME).toBe('Andy');
    expect(config.NANOCLAW_DATA_DIR).toBe(path.join(cwd, 'data'));
    expect(config.NANOCLAW_GROUPS_DIR).toBe(path.join(cwd, 'groups'));
    expect(config.AGENT_PROVIDER).toBeUndefined();
    expect(config.CODEX_COMPACT_THRESHOLD_TOKENS).toBe(40_000);
  });

  it('reads .env, and the process environment wins over it', () => {
    const cwd = tempDir();
    fs.writeFileSync(
      path.join(cwd, '.env'),
      '# comment\nASSISTANT_NAME=Bob\nNANOCLAW_HTTP_PORT="7500"\nAGENT_PROVIDER=codex\n',
    );
    const config = loadConfig({ env: { AGENT_PROVIDER: 'mock' }, cwd });
    expect(config.ASSISTANT_NAME).toBe('Bob');
    expect(config.NANOCLAW_HTTP_PORT).toBe(7500);
    expect(config.AGENT_PROVIDER).toBe('mock');
  });

  it('stops on a bad value and names the key', () => {
    const error = errorOf(() => loadConfig({ env: { NANOCLAW_HTTP_PORT: 'seventy' }, cwd: tempDir() }));
    expect(error.keys).toEqual(['NANOCLAW_HTTP_PORT']);
    expect(error.message).toContain('NANOCLAW_HTTP_PORT');
    expect(error.message).toContain('"seventy"');
  });

  it('names every bad key at once', () => {
    const error = errorOf(() =>
      loadConfig({
        env: { NANOCLAW_RUNTIME: 'kubernetes', TZ: 'Mars/Olympus', NANOCLAW_HTTP_PORT: '70000' },
        cwd: tempDir(),
      }),
    );
    expect(error.keys).toEqual(expect.arrayContaining(['NANOCLAW_RUNTIME', 'TZ', 'NANOCLAW_HTTP_PORT']));
    expect(error.message).toMatch(/NANOCLAW_RUNTIME: must be one of auto, docker, apple, bwrap, process/);
    expect(error.message).toMatch(/TZ: is not a known IANA time zone/);
  });

  it('reads a bad value from .env the same way', () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, '.env'), 'AGENT_PROVIDER=Not A Provider\n');
    const error = errorOf(() => loadConfig({ env: {}, cwd }));
    expect(error.keys).toEqual(['AGENT_PROVIDER']);
    expect(error.message).toContain(path.join(cwd, '.env'));
  });

  it('never prints a secret value', () => {
    const error = errorOf(() =>
      loadConfig({
        env: { OPENAI_BASE_URL: 'ftp://sk-secret-value@host', OPENAI_API_KEY: 'sk-1' },
        cwd: tempDir(),
      }),
    );
    expect(error.keys).toEqual(['OPENAI_BASE_URL']);
    const withSecret = errorOf(() =>
      loadConfig({ env: { ANTHROPIC_BASE_URL: 'not a url', NANOCLAW_MAX_CONCURRENT: '0' }, cwd: tempDir() }),
    );
    expect(withSecret.message).toContain('NANOCLAW_MAX_CONCURRENT');
    expect(error.message).not.toContain('sk-1');
  });

  it('reads the transcription endpoint: whisper-1 by default, a bad URL named by its key, the key never shown', () => {
    const config = loadConfig({
      env: { TRANSCRIBE_BASE_URL: 'http://127.0.0.1:8000/v1', TRANSCRIBE_MODEL: '' },
      cwd: tempDir(),
    });
    expect(config).toMatchObject({
      TRANSCRIBE_BASE_URL: 'http://127.0.0.1:8000/v1',
      TRANSCRIBE_MODEL: 'whisper-1',
    });
    expect(config.TRANSCRIBE_API_KEY).toBeUndefined();
    const error = errorOf(() =>
      loadConfig({
        env: { TRANSCRIBE_BASE_URL: 'whisper.local', TRANSCRIBE_API_KEY: 'sk-tr-1' },
        cwd: tempDir(),
      }),
    );
    expect(error.keys).toEqual(['TRANSCRIBE_BASE_URL']);
    expect(error.message).not.toContain('sk-tr-1');
  });

  it('reads the media limits, and names a bad one', () => {
    const config = loadConfig({ env: {}, cwd: tempDir() });
    expect(config.MEDIA_MAX_MB).toBe(20);
    expect(config.MEDIA_RETENTION_DAYS).toBe(30);
    expect(loadConfig({ env: { MEDIA_MAX_MB: '2.5' }, cwd: tempDir() }).MEDIA_MAX_MB).toBe(2.5);
    const error = errorOf(() =>
      loadConfig({ env: { MEDIA_MAX_MB: '0', MEDIA_RETENTION_DAYS: '1.5' }, cwd: tempDir() }),
    );
    expect(error.keys).toEqual(expect.arrayContaining(['MEDIA_MAX_MB', 'MEDIA_RETENTION_DAYS']));
    expect(error.message).toMatch(/MEDIA_MAX_MB: must be more than 0/);
  });

  it('treats an empty value as unset', () => {
    const config = loadConfig({ env: { OPENAI_API_KEY: '', AGENT_PROVIDER: '' }, cwd: tempDir() });
    expect(config.OPENAI_API_KEY).toBeUndefined();
    expect(config.AGENT_PROVIDER).toBeUndefined();
  });
});

describe('.env.example', () => {
  const example = path.resolve(import.meta.dirname, '../../../.env.example');

  it('documents exactly the keys the schema reads', () => {
    const keys = fs
      .readFileSync(example, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=')[0]);
    expect(keys.sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it('loads as is, giving the embedded defaults', () => {
    const config = loadConfig({ env: {}, envFile: example, cwd: tempDir() });
    expect(config.NANOCLAW_HTTP_PORT).toBe(7420);
    expect(config.AGENT_PROVIDER).toBeUndefined();
  });
});
