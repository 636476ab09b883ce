import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveClaudeBinary } from './binary.js';

describe('resolveClaudeBinary', () => {
  it("finds the native binary of the SDK's installed platform package", () => {
    const binary = resolveClaudeBinary();
    expect(binary).toMatch(/claude-agent-sdk-linux-x64(-musl)?\/claude$/);
    expect(fs.statSync(binary!).mode & 0o111).not.toBe(0);
  });

  it('honours CLAUDE_CODE_BIN and is undefined for a platform without a package', () => {
    expect(resolveClaudeBinary({ env: { CLAUDE_CODE_BIN: '/opt/claude' } })).toBe('/opt/claude');
    expect(resolveClaudeBinary({ platform: 'plan9', arch: 'mips' })).toBeUndefined();
  });
});
