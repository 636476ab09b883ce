import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { freePort } from '../cli/test-utils.js';
import { shellRuntimes } from './test-runtimes.js';
import { ask, useSuiteProject } from './test-utils/e2e-host.js';

/**
 * A userland build that fails (here: a Debian mirror nothing answers at, with an empty userland cache) is answered
 * at once with its cause and the next step, not rebuilt for each of five tries; a burst of messages right after
 * gets the same answer without starting a build each. bwrap only: the build fails before any runtime is involved.
 */
const bwrap = shellRuntimes().find((target) => target.name === 'bwrap');
const runtime = await bwrap?.runtime();

describe.skipIf(!runtime)('a userland build that fails (bwrap)', { timeout: 5 * 60_000 }, () => {
  let root: string;
  let client: HostClient;

  useSuiteProject('nanoclaw-userland-failure', runtime, async (project, runtime) => {
    root = project.root;
    fs.mkdirSync(path.join(root, 'groups', 'work'), { recursive: true });
    ({ client } = await project.startHost(runtime, {
      NANOCLAW_USERLAND_CACHE_DIR: path.join(root, 'userland'),
      NANOCLAW_DEBIAN_MIRROR: `http://127.0.0.1:${await freePort()}/debian`,
    }));
    await client.addGroup({ folder: 'work', name: 'work' });
  });

  it('answers at once with the cause and `nanoclaw sandbox image build`, and a burst does not build again', async () => {
    const started = Date.now();
    const first = await ask(client, 'work', '@Andy hello', 120_000);
    const firstMs = Date.now() - started;
    expect(first.outcome.kind).toBe('error');
    const message = first.outcome.kind === 'error' ? first.outcome.message : '';
    expect(message).toContain('the agent userland for work could not be built: mmdebstrap failed');
    expect(message).toContain('run `nanoclaw sandbox image build` to see the full output');
    // One build (seconds against a refused mirror), not five with back-off in between (about 85 s).
    expect(firstMs).toBeLessThan(45_000);

    const burst = Date.now();
    const again = await Promise.all([1, 2, 3].map(() => ask(client, 'work', '@Andy are you there', 60_000)));
    expect(again.map(({ outcome }) => outcome.kind)).toEqual(['error', 'error', 'error']);
    expect(Date.now() - burst).toBeLessThan(10_000);
    expect(
      fs.readdirSync(path.join(root, 'userland')).filter((name) => name.startsWith('.staging-')),
    ).toEqual([]);
  });
});
