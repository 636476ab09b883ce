import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSandboxImageError } from './errors.js';
import { hostNodeRuntime } from './node-runtime.js';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-node-runtime-'));
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

describe('hostNodeRuntime', () => {
  it("carries this process's node and the npm beside it", () => {
    const runtime = hostNodeRuntime();
    expect(runtime.version).toBe(process.version);
    expect(runtime.path).toBe(process.execPath);
  });

  it("refuses Debian's nodejs package, naming libnode and what to install instead", async () => {
    // Debian's /usr/bin/node: a small ELF whose engine is /usr/lib/<triplet>/libnode.so.<abi>.
    const node = path.join(root, 'bin', 'node');
    await fs.mkdir(path.dirname(node), { recursive: true });
    await fs.writeFile(
      node,
      Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(64), Buffer.from('libnode.so.108\0libuv.so.1\0')]),
    );
    let caught: unknown;
    try {
      hostNodeRuntime(node, 'v18.19.0');
    } catch (error) {
      caught = error;
    }
    expect(isSandboxImageError(caught, 'build-failed')).toBe(true);
    expect(errorMessage(caught)).toContain("Debian's nodejs package");
    expect(errorMessage(caught)).toContain('libnode.so.108');
    expect(errorMessage(caught)).toContain('/usr/share/nodejs');
    expect((caught as { hint?: string }).hint).toContain('official Node.js build');
  });
});
