import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../host/test-utils/cleanups.js';
import { apiTokenPath, ensureApiToken, readApiToken } from './api-token.js';

const cleanups = useCleanups();

function tempDir(): string {
  return cleanups.scratch('nanoclaw-token');
}

describe('ensureApiToken', () => {
  it('creates a 32-byte base64url token with mode 0600 and returns the same one later', () => {
    const dataDir = path.join(tempDir(), 'data');
    const token = ensureApiToken(dataDir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(apiTokenPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(ensureApiToken(dataDir)).toBe(token);
    expect(readApiToken(dataDir)).toBe(token);
  });

  it('narrows a token file readable by others to 0600', () => {
    const dataDir = tempDir();
    fs.writeFileSync(apiTokenPath(dataDir), 'a-token-of-sufficient-length\n', { mode: 0o644 });
    fs.chmodSync(apiTokenPath(dataDir), 0o644);
    expect(ensureApiToken(dataDir)).toBe('a-token-of-sufficient-length');
    expect(fs.statSync(apiTokenPath(dataDir)).mode & 0o777).toBe(0o600);
  });

  it('refuses a symlink and leaves its target alone', () => {
    const dataDir = tempDir();
    const target = path.join(tempDir(), 'elsewhere');
    fs.writeFileSync(target, 'a-token-of-sufficient-length\n', { mode: 0o644 });
    fs.symlinkSync(target, apiTokenPath(dataDir));
    expect(() => ensureApiToken(dataDir)).toThrow(/symlink/);
    expect(() => readApiToken(dataDir)).toThrow(/symlink/);
    expect(fs.statSync(target).mode & 0o777).toBe(0o644);
  });

  it('refuses a file that holds no token', () => {
    const dataDir = tempDir();
    fs.writeFileSync(apiTokenPath(dataDir), 'short', { mode: 0o600 });
    expect(() => ensureApiToken(dataDir)).toThrow(/not a token/);
  });
});

describe('readApiToken', () => {
  it('says where the token should be when the host never started', () => {
    const dataDir = tempDir();
    expect(() => readApiToken(dataDir)).toThrow(/no API token at .*api-token/);
    expect(fs.existsSync(apiTokenPath(dataDir))).toBe(false);
  });
});
