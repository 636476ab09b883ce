import fs from 'node:fs';
import path from 'node:path';
import { noopLogger } from '@nanoclaw/container-runner';
import type { ContainerRuntime } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../host/test-utils/cleanups.js';
import { ensureRunnerImage } from './runner-files.js';
import { digestRunnerBundle } from './runner-stage.js';

const cleanups = useCleanups();

/** A docker CLI stand-in that answers `image inspect` with `labels`, and a build script that logs its args. */
function world(labels: Record<string, string> | null) {
  const dir = cleanups.scratch('nanoclaw-image');
  const runnerDist = path.join(dir, 'dist');
  fs.mkdirSync(runnerDist);
  fs.writeFileSync(path.join(runnerDist, 'main.js'), 'console.log("runner")\n');
  const docker = path.join(dir, 'docker');
  fs.writeFileSync(docker, `#!/bin/sh\necho '${JSON.stringify(labels)}'\n`, { mode: 0o755 });
  const buildLog = path.join(dir, 'build.log');
  const script = path.join(dir, 'build.sh');
  fs.writeFileSync(script, `#!/bin/sh\necho "$@" >> ${buildLog}\n`, { mode: 0o755 });
  const runtime = {
    name: 'docker',
    binary: docker,
    hasImage: async () => labels !== null,
  } as unknown as ContainerRuntime;
  const ensure = () =>
    ensureRunnerImage({
      runtime,
      image: 'nanoclaw/agent-runner:local',
      runnerDist,
      script,
      dockerEnv: { PATH: process.env.PATH },
      uid: 1000,
      logger: noopLogger,
    });
  return {
    runnerDist,
    ensure,
    builds: () => (fs.existsSync(buildLog) ? fs.readFileSync(buildLog, 'utf8') : ''),
  };
}

const TITLE = { 'org.opencontainers.image.title': 'nanoclaw agent-runner (scratch)' };

describe('ensureRunnerImage', () => {
  it('builds a missing image, stamped with the runner bundle digest', async () => {
    const w = world(null);
    expect(await w.ensure()).toBe('built');
    expect(w.builds()).toContain(`--label nanoclaw.runner-digest=${await digestRunnerBundle(w.runnerDist)}`);
  });

  it('rebuilds an image it built from an older runner bundle', async () => {
    const w = world({ ...TITLE, 'nanoclaw.runner-digest': 'an-older-bundle' });
    expect(await w.ensure()).toBe('built');
  });

  it('keeps an image built from the current bundle', async () => {
    const probe = world(null);
    const digest = await digestRunnerBundle(probe.runnerDist);
    const w = world({ ...TITLE, 'nanoclaw.runner-digest': digest });
    expect(await w.ensure()).toBe('present');
    expect(w.builds()).toBe('');
  });

  it("leaves a user's own image alone", async () => {
    const w = world({ 'org.opencontainers.image.title': 'my runner' });
    expect(await w.ensure()).toBe('present');
    expect(w.builds()).toBe('');
  });
});
