import { CONTAINER_RUNTIME_SPEC_VERSION, type ContainerRuntime, type SandboxInfo } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { reapOrphans, SANDBOX_LABELS, sandboxLabels, startOrphanReaper } from './reaper.js';

function fakeRuntime(sandboxes: SandboxInfo[], failing: string[] = []) {
  const stopped: string[] = [];
  const runtime: ContainerRuntime = {
    specificationVersion: CONTAINER_RUNTIME_SPEC_VERSION,
    name: 'docker',
    available: async () => ({ ok: true, detail: 'fake' }),
    spawn: async () => {
      throw new Error('not used');
    },
    list: async (labels) =>
      sandboxes.filter(
        (s) => !stopped.includes(s.name) && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      ),
    stop: async (name) => {
      if (failing.includes(name)) throw new Error('engine said no');
      stopped.push(name);
    },
  };
  return { runtime, stopped };
}

const sandbox = (name: string, installId: string, sessionId?: string): SandboxInfo => ({
  name,
  running: true,
  labels:
    sessionId === undefined
      ? { [SANDBOX_LABELS.install]: installId }
      : sandboxLabels({ installId, groupFolder: 'g', sessionId }),
});

describe('reapOrphans', () => {
  it('stops our sandboxes no live session owns, and never touches another install', async () => {
    const { runtime, stopped } = fakeRuntime(
      [
        sandbox('live', 'me', 's1'),
        sandbox('orphan', 'me', 's2'),
        sandbox('unlabelled-session', 'me'),
        sandbox('theirs', 'other', 's9'),
        sandbox('broken', 'me', 's3'),
      ],
      ['broken'],
    );
    const result = await reapOrphans({ runtime, installId: 'me', liveSessions: ['s1'] });
    expect(result).toEqual({
      stopped: ['orphan', 'unlabelled-session'],
      kept: ['live'],
      failed: [{ name: 'broken', error: 'engine said no' }],
    });
    expect(stopped).not.toContain('theirs');
  });

  it('reaps at start and periodically, asking for live sessions each time', async () => {
    const { runtime, stopped } = fakeRuntime([sandbox('a', 'me', 's1'), sandbox('b', 'me', 's2')]);
    let live = ['s1', 's2'];
    const reaper = startOrphanReaper({
      runtime,
      installId: 'me',
      liveSessions: () => live,
      intervalMs: 60_000,
    });
    try {
      expect((await reaper.runNow()).stopped).toEqual([]);
      live = ['s1'];
      expect((await reaper.runNow()).stopped).toEqual(['b']);
      expect(stopped).toEqual(['b']);
    } finally {
      reaper.stop();
    }
  });
});
