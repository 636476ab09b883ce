import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeScratchDir } from '../test-utils/sandbox-test-env.js';
import { ensureRuntimeTree, parseLddOutput, runtimeTreeLayout } from './runtime-tree.js';

const LDD = `	linux-vdso.so.1 (0x00007ffd)
	libdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f)
	libstdc++.so.6 => /usr/lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
	/lib64/ld-linux-x86-64.so.2 (0x00007f)
`;

describe('runtime tree', () => {
  it('parses ldd output (skipping the vDSO) and lays files out under usr/', () => {
    const libs = parseLddOutput(LDD);
    expect(libs).toEqual([
      '/lib/x86_64-linux-gnu/libdl.so.2',
      '/usr/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
    expect(runtimeTreeLayout('/opt/node/bin/node', libs).map((e) => e.to)).toEqual([
      'usr/bin/node',
      'usr/lib/x86_64-linux-gnu/libdl.so.2',
      'usr/lib/x86_64-linux-gnu/libstdc++.so.6',
      'usr/lib/x86_64-linux-gnu/libc.so.6',
      'usr/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it.runIf(process.platform === 'linux')(
    'builds the tree once and reuses it; refuses a world-writable cache',
    async () => {
      const dir = await makeScratchDir('tree');
      try {
        const cache = path.join(dir, 'cache');
        const tree = await ensureRuntimeTree({ cacheDir: cache });
        expect((await fs.stat(path.join(tree, 'usr/bin/node'))).isFile()).toBe(true);
        expect(await ensureRuntimeTree({ cacheDir: cache })).toBe(tree);
        await fs.chmod(cache, 0o777);
        await expect(ensureRuntimeTree({ cacheDir: cache })).rejects.toThrow(/world-writable/);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  );
});
