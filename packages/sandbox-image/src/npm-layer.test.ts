import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageCache } from './image-cache.js';
import { buildNpmLayer, type LayerSandbox } from './npm-layer.js';

const IS_ROOT = process.getuid?.() === 0;
/** The sandbox user of a root host: uid 1000 is a real account on many machines. */
const SANDBOX = { uid: 1000, gid: 1000 };

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-npm-layer-'));
  await fs.chmod(root, 0o755);
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

/**
 * Stands in for npm (`npm install --global --prefix <tree> … <package>`): writes the package and its bin link the
 * way npm lays them out, as whoever runs it.
 */
const FAKE_NPM = `
const fs = require('node:fs');
const path = require('node:path');
const prefix = process.argv[process.argv.indexOf('--prefix') + 1];
const name = process.argv.at(-1);
const dir = path.join(prefix, 'lib', 'node_modules', name);
fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
fs.writeFileSync(path.join(dir, 'bin', name + '.js'), '#!/usr/bin/env node\\n');
fs.mkdirSync(path.join(prefix, 'bin'), { recursive: true });
fs.symlinkSync('../lib/node_modules/' + name + '/bin/' + name + '.js', path.join(prefix, 'bin', name));
`;

describe('buildNpmLayer', () => {
  it.runIf(IS_ROOT)(
    'hands the finished layer to the host user, read-only: the sandbox user can no longer change it',
    async () => {
      const cli = path.join(root, 'fake-npm.cjs');
      await fs.writeFile(cli, FAKE_NPM, { mode: 0o644 });
      // What the install scripts write in the sandbox belongs to the sandbox user.
      const sandbox: LayerSandbox = {
        run: async ({ layerDir }) => {
          const built = path.join(layerDir, 'lib', 'node_modules', 'tool', 'build');
          await fs.mkdir(built);
          await fs.writeFile(path.join(built, 'out.node'), 'compiled');
          for (const entry of ['lib/node_modules/tool/build', 'lib/node_modules/tool/build/out.node'])
            await fs.chown(path.join(layerDir, entry), SANDBOX.uid, SANDBOX.gid);
          return { code: 0, output: '' };
        },
      };
      const cache = new ImageCache(path.join(root, 'cache'));
      const userland = {
        dir: '/c',
        tree: '/c/tree',
        manifest: {
          kind: 'userland' as const,
          digest: 'a'.repeat(64),
          packages: [],
          builtAt: '',
          buildMs: 1,
          sizeBytes: 1,
          files: 1,
        },
      };

      const layer = await buildNpmLayer({
        cache,
        userland,
        packages: ['tool'],
        sandbox,
        npm: { node: process.execPath, cli, version: '11.0.0' },
        fetchAs: SANDBOX,
      });

      const entries = await fs.readdir(layer.tree, { recursive: true });
      expect(entries).toContain('lib/node_modules/tool/build/out.node');
      for (const entry of ['', ...entries]) {
        const stat = await fs.lstat(path.join(layer.tree, entry));
        expect([stat.uid, stat.gid], entry).toEqual([0, 0]);
        if (!stat.isSymbolicLink()) expect(stat.mode & 0o222, entry).toBe(0);
      }
      expect(await fs.readlink(path.join(layer.tree, 'bin/tool'))).toBe(
        '../lib/node_modules/tool/bin/tool.js',
      );
      // Found as built the next time (a layer the sandbox user could write to would be built again).
      expect((await cache.find('npm-layer', layer.manifest.digest))?.dir).toBe(layer.dir);
    },
  );
});
