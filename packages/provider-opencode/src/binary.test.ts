import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { platformPackages, readOpencodeVersion, resolveOpencodeBinary } from './binary.js';
import { OPENCODE_VERSION } from './version.js';

describe('resolveOpencodeBinary', () => {
  it('finds the installed native binary at the pinned version', () => {
    const binary = resolveOpencodeBinary();
    expect(fs.statSync(binary).size).toBeGreaterThan(1_000_000);
    expect(readOpencodeVersion(binary)).toBe(OPENCODE_VERSION);
  });

  it('prefers OPENCODE_BIN', () => {
    expect(resolveOpencodeBinary({ env: { OPENCODE_BIN: '/opt/opencode' } })).toBe('/opt/opencode');
  });

  it('knows the platform package names', () => {
    expect(platformPackages('linux', 'x64')[0]).toMatch(/^opencode-linux-x64/);
    expect(platformPackages('darwin', 'arm64')).toEqual([
      'opencode-darwin-arm64',
      'opencode-darwin-arm64-baseline',
    ]);
  });
});
