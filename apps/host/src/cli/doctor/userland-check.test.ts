import type { SandboxImagesStatus } from '@nanoclaw/sandbox-image';
import { describe, expect, it } from 'vitest';
import type { RuntimeProbe } from './system-checks.js';
import { userlandCheck } from './userland-check.js';

const bwrap: RuntimeProbe = { ok: true, name: 'bwrap', detail: 'bubblewrap 0.8.0' };
const NOW = Date.parse('2027-03-01T12:00:00.000Z');

function builtAt(builtAt: string): SandboxImagesStatus {
  const manifest = {
    kind: 'userland' as const,
    digest: 'c'.repeat(64),
    packages: ['bash'],
    builtAt,
    buildMs: 60_000,
    sizeBytes: 332e6,
    files: 9,
  };
  return {
    cacheDir: '/var/cache/nanoclaw/userland',
    builder: { ok: true, detail: 'mmdebstrap at /usr/bin/mmdebstrap' },
    base: {
      digest: manifest.digest,
      suite: 'bookworm',
      packages: 27,
      node: 'v20.20.2',
      built: { manifest, dir: '/c', tree: '/c/tree' },
    },
    cached: [],
  };
}

describe('userlandCheck', () => {
  it('is ok for a userland built this month', () => {
    expect(userlandCheck(bwrap, builtAt('2027-02-20T00:00:00.000Z'), NOW)).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('built 2027-02-20T00:00:00.000Z'),
    });
  });

  it('warns when it is older than 30 days: security updates are missing, and says how to refresh it', () => {
    const check = userlandCheck(bwrap, builtAt('2027-01-10T00:00:00.000Z'), NOW);
    expect(check).toMatchObject({
      status: 'warn',
      hint: "rebuild it (and the groups' packages) with: nanoclaw sandbox image build --refresh",
    });
    expect(check.detail).toContain(
      'built 50 days ago: the Debian security updates published since then are missing',
    );
  });
});
