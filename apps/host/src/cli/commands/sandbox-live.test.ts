import { describe, expect, it } from 'vitest';
import type { SandboxView } from '../../host-api.js';
import { createCliHarness } from '../test-utils.js';
import { sandboxesTable } from './sandbox-live.js';

const sandbox: SandboxView = {
  id: 'sb-0123456789ab',
  folder: 'main',
  session: 'main',
  provider: 'mock',
  runtime: 'bwrap',
  state: 'busy',
  startedAt: Date.parse('2030-01-02T03:04:00Z'),
  lastActiveAt: Date.parse('2030-01-02T03:05:00Z'),
};

describe('nanoclaw sandbox list and kill', () => {
  it('lists the host’s sandboxes and kills one', async () => {
    const harness = await createCliHarness();
    try {
      expect((await harness.run(['sandbox', 'list'])).stdout).toBe('no sandboxes running\n');
      harness.api.sandboxes.push(sandbox);
      expect((await harness.run(['sandbox', 'list'])).stdout).toBe(
        [
          'ID               GROUP  SESSION  PROVIDER  RUNTIME  STATE  STARTED           LAST ACTIVE',
          'sb-0123456789ab  main   main     mock      bwrap    busy   2030-01-02 03:04  2030-01-02 03:05',
          '',
        ].join('\n'),
      );
      expect(JSON.parse((await harness.run(['sandbox', 'list', '--json'])).stdout)).toEqual([sandbox]);
      expect(await harness.run(['sandbox', 'kill', sandbox.id])).toEqual({
        code: 0,
        stdout: "killed sandbox sb-0123456789ab; the group's next message starts a new one\n",
        stderr: '',
      });
      expect(await harness.run(['sandbox', 'kill', sandbox.id])).toEqual({
        code: 1,
        stdout: '',
        stderr: 'nanoclaw: no sandbox "sb-0123456789ab" (HTTP 404)\n',
      });
    } finally {
      await harness.cleanup();
    }
  });

  it('formats times in the given zone', () => {
    expect(sandboxesTable([sandbox], 'Europe/Paris')).toContain('2030-01-02 04:04');
  });
});
