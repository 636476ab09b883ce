import { describe, expect, it } from 'vitest';
import { sampleSpec, sampleSpecRunTail } from '../test-utils/spec.js';
import { buildAppleRunArgs, parseAppleList } from './apple.js';

describe('buildAppleRunArgs', () => {
  it('builds a container run with limits, an isolated network and secrets by name', () => {
    const { args, envByName } = buildAppleRunArgs(sampleSpec());
    expect(args).toEqual([
      'run',
      '--rm',
      '-i',
      '--name',
      'nanoclaw-family-0a1b2c3d-beef',
      '--label',
      'nanoclaw.install=i1',
      '--label',
      'nanoclaw.group=family',
      '--label',
      'nanoclaw.session=s1',
      '--network',
      'nanoclaw-isolated',
      '--no-dns',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--user',
      '1000:1001',
      '--cpus',
      '2',
      '--memory',
      '512M',
      '--tmpfs',
      '/tmp',
      '--tmpfs',
      '/home/agent',
      ...sampleSpecRunTail('--env'),
    ]);
    expect(envByName).toEqual({ LANG: 'C.UTF-8', OPENAI_API_KEY: 'sk-secret' });
  });

  it('supports full network, older releases without hardening flags, and refuses commas in paths', () => {
    const { args } = buildAppleRunArgs(sampleSpec({ network: 'full' }), {
      hardening: false,
      isolatedNetwork: 'x',
    });
    expect(args).not.toContain('--network');
    expect(args).not.toContain('--read-only');
    expect(() =>
      buildAppleRunArgs(sampleSpec({ mounts: [{ hostPath: '/a,b', containerPath: '/x', readonly: true }] })),
    ).toThrow(/","/);
  });

  it('parses container list JSON defensively', () => {
    const json = JSON.stringify([
      { configuration: { id: 'a', labels: { k: 'v' } }, status: 'running' },
      { configuration: { id: 'b' }, status: 'stopped' },
      {},
    ]);
    expect(parseAppleList(json)).toEqual([
      { name: 'a', labels: { k: 'v' }, running: true },
      { name: 'b', labels: {}, running: false },
    ]);
    expect(parseAppleList('[')).toEqual([]);
  });
});
