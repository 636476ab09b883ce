import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useSecureAuthState } from './auth-state.js';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('useSecureAuthState', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-auth-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('creates the folder 0700 and writes creds and keys 0600', async () => {
    const dir = path.join(root, 'whatsapp', 'default');
    const auth = await useSecureAuthState(dir);
    expect(auth.existed).toBe(false);
    await auth.saveCreds();
    await auth.state.keys.set({
      'pre-key': { '1': { public: Buffer.from([1, 2]), private: Buffer.from([3, 4]) } },
    });
    expect(mode(dir)).toBe(0o700);
    expect(fs.readdirSync(dir).sort()).toEqual(['creds.json', 'pre-key-1.json']);
    for (const file of fs.readdirSync(dir)) expect(mode(path.join(dir, file))).toBe(0o600);
  });

  it('reads back what it wrote, Buffers included, and removes keys set to null', async () => {
    const dir = path.join(root, 'a');
    const first = await useSecureAuthState(dir);
    await first.saveCreds();
    await first.state.keys.set({
      'pre-key': { '7': { public: Buffer.from([9]), private: Buffer.from([8]) } },
    });
    const second = await useSecureAuthState(dir);
    expect(second.existed).toBe(true);
    expect(second.state.creds.registrationId).toBe(first.state.creds.registrationId);
    const keys = await second.state.keys.get('pre-key', ['7', '8']);
    expect(Buffer.from(keys['7']?.public ?? [])).toEqual(Buffer.from([9]));
    expect(keys['8']).toBeNull();
    await second.state.keys.set({ 'pre-key': { '7': null } });
    expect(fs.existsSync(path.join(dir, 'pre-key-7.json'))).toBe(false);
  });

  it('tightens the modes of an existing folder', async () => {
    const dir = path.join(root, 'loose');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'creds.json'), 'not json', { mode: 0o644 });
    const auth = await useSecureAuthState(dir);
    expect(auth.existed).toBe(false);
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(dir, 'creds.json'))).toBe(0o600);
  });

  it('clear() removes the pairing and leaves an empty 0700 folder', async () => {
    const dir = path.join(root, 'c');
    const auth = await useSecureAuthState(dir);
    await auth.saveCreds();
    await auth.clear();
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(mode(dir)).toBe(0o700);
  });

  it('serialises concurrent writes of one file', async () => {
    const dir = path.join(root, 'd');
    const auth = await useSecureAuthState(dir);
    await Promise.all(Array.from({ length: 20 }, () => auth.saveCreds()));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'creds.json'), 'utf8')).registrationId).toBe(
      auth.state.creds.registrationId,
    );
  });
});
