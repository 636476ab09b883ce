import fs from 'node:fs';
import { type LogLine, memoryLogger } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { checkCodexVersion, readCodexVersion, resolveCodexBinary } from './binary.js';
import { CODEX_VERSION } from './version.js';

describe('the pinned codex binary', () => {
  it('resolves the native binary of the platform package, not the node launcher', () => {
    const binary = resolveCodexBinary();
    expect(binary).toMatch(/@openai\/codex.*\/vendor\/[^/]+\/bin\/codex(\.exe)?$/);
    expect(fs.statSync(binary).mode & 0o111).not.toBe(0);
  });

  it('CODEX_BIN overrides it', () => {
    expect(resolveCodexBinary({ env: { CODEX_BIN: '/opt/codex/bin/codex' } })).toBe('/opt/codex/bin/codex');
  });

  it('fails clearly on a platform Codex does not ship', () => {
    expect(() => resolveCodexBinary({ env: {}, platform: 'aix', arch: 'ppc64' })).toThrow(
      /no binary for aix-ppc64/,
    );
  });

  it('reports CODEX_VERSION, the version package.json pins exactly', async () => {
    expect(await readCodexVersion(resolveCodexBinary())).toBe(CODEX_VERSION);
    const manifest = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(manifest.dependencies['@openai/codex']).toBe(CODEX_VERSION);
  });

  it('warns when the binary is another version, without failing', async () => {
    const lines: LogLine[] = [];
    const script = new URL('./__fixtures__/fake-codex.sh', import.meta.url).pathname;
    expect(await checkCodexVersion(script, memoryLogger(lines))).toBe('0.1.2');
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', bindings: expect.objectContaining({ version: '0.1.2' }) }),
    );
    const ok: LogLine[] = [];
    await checkCodexVersion(resolveCodexBinary(), memoryLogger(ok));
    expect(ok).toEqual([]);
  });

  it('never rejects: a binary that cannot run resolves to no version, with a warning', async () => {
    const lines: LogLine[] = [];
    await expect(checkCodexVersion('/nonexistent/codex', memoryLogger(lines))).resolves.toBeUndefined();
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', bindings: expect.objectContaining({ version: 'unknown' }) }),
    );
  });
});
