import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import type { HostEvent } from '../host-api.js';
import { resolveRuntimes, sandboxRuntimes } from './test-runtimes.js';
import { ask, until, useSuiteProject } from './test-utils/e2e-host.js';

/**
 * The whole host, end to end, with the mock provider in a real sandbox: HTTP API → inbox → queue → runner in
 * the sandbox → outbox → local channel → event stream. Runs for each sandbox runtime available here (all of
 * them in CI).
 */
const targets = await resolveRuntimes(sandboxRuntimes());

for (const target of targets) {
  describe.skipIf(!target.runtime)(`host end to end (${target.name})`, { timeout: 60_000 }, () => {
    let root: string;
    let client: HostClient;

    useSuiteProject(`nanoclaw-e2e-${target.name}`, target.runtime, async (project, runtime) => {
      root = project.root;
      ({ client } = await project.startHost(runtime));
    });

    it('answers a message in the main group', async () => {
      const { posted, outcome } = await ask(client, 'main', 'hello there');
      expect(posted.willReply).toBe(true);
      expect(outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: hello there'] });
    });

    it('keeps untriggered messages as context and answers the triggered one', async () => {
      await client.addGroup({ folder: 'family', name: 'Family' });
      const quiet = await client.postMessage('family', { text: 'dinner at 7?' });
      expect(quiet.willReply).toBe(false);
      const { posted, outcome } = await ask(client, 'family', '@Andy remind me');
      expect(posted.willReply).toBe(true);
      expect(outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: @Andy remind me'] });
    });

    it('runs a scheduled task through the queue and delivers its result to the group chat', async () => {
      const replies: string[] = [];
      const stream = await client.openEvents('main', (event) => {
        if (event.type === 'reply') replies.push(event.text);
      });
      const task = await client.addTask({
        folder: 'main',
        prompt: 'morning briefing',
        schedule: { kind: 'once', at: new Date(Date.now() + 1_000).toISOString() },
      });
      await until(() => replies.some((r) => r.includes('morning briefing')), 30_000);
      stream.close();
      await until(
        async () => (await client.listRuns({ taskId: task.id }))[0]?.status === 'succeeded',
        10_000,
      );
      const [done] = await client.listTasks({ folder: 'main', status: 'completed' });
      expect(done?.id).toBe(task.id);
    });

    it('authorizes agent tools by the group of the sandbox', async () => {
      const own = await ask(client, 'family', '@Andy\n/tool nanoclaw.send_message {"text":"note to self"}');
      expect(own.outcome.kind).toBe('reply');
      const foreign = await ask(
        client,
        'family',
        '@Andy\n/tool nanoclaw.send_message {"text":"hi main","chat":"local:default:main"}',
      );
      expect(foreign.outcome).toMatchObject({ kind: 'reply' });
      const text = foreign.outcome.kind === 'reply' ? foreign.outcome.texts.join('\n') : '';
      expect(text).toContain('nanoclaw.send_message failed');
    });

    it('serves other groups while one has a broken container.json', async () => {
      await client.addGroup({ folder: 'broken', name: 'Broken' });
      fs.writeFileSync(path.join(root, 'groups', 'broken.container.json'), '{"provdier": "codex"}');
      const { outcome } = await ask(client, 'broken', '@Andy are you there?');
      expect(outcome.kind).toBe('error');
      expect(outcome.kind === 'error' ? outcome.message : '').toContain('provdier');
      const main = await ask(client, 'main', 'still fine?');
      expect(main.outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: still fine?'] });
      const groups = await client.listGroups();
      expect(groups.find((g) => g.folder === 'broken')?.configError).toContain('provdier');
    });

    it('a killed sandbox: the group’s next message starts a fresh one and is answered', async () => {
      await ask(client, 'main', 'before the kill');
      const [before] = (await client.listSandboxes()).filter((s) => s.folder === 'main');
      expect(before).toMatchObject({ folder: 'main', session: 'main', runtime: target.name, state: 'idle' });
      expect(await client.killSandbox(before?.id ?? '')).toEqual({ id: before?.id, killed: true });
      expect((await client.listSandboxes()).filter((s) => s.folder === 'main')).toEqual([]);
      const next = await ask(client, 'main', 'after the kill');
      expect(next.outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: after the kill'] });
      const [after] = (await client.listSandboxes()).filter((s) => s.folder === 'main');
      expect(after?.id).not.toBe(before?.id);
    });

    it('a sandbox killed mid-reply: the run is retried, the stream says so, the reply comes whole', async () => {
      const events: HostEvent[] = [];
      const stream = await client.openEvents('main', (event) => events.push(event));
      try {
        const waiting = ask(client, 'main', 'interrupted\n/stream 8 250');
        await until(() => events.some((e) => e.type === 'text-delta'), 30_000);
        const [busy] = (await client.listSandboxes()).filter((s) => s.folder === 'main');
        expect(await client.killSandbox(busy?.id ?? '')).toMatchObject({ killed: true });
        const { outcome } = await waiting;
        expect(outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: interrupted'] });
        const retry = events.find((e) => e.type === 'run-retry');
        expect(retry).toMatchObject({
          folder: 'main',
          message: expect.stringMatching(/^the sandbox exited \(.*\) during the run$/),
          retryInMs: expect.any(Number),
        });
        const runId = retry?.type === 'run-retry' ? retry.runId : '';
        const ofRun = events.filter((e) => 'runId' in e && e.runId === runId).map((e) => e.type);
        // One run, two tries: the first ends in run-retry, the second streams and ends.
        expect(ofRun.filter((t) => t === 'run-start')).toHaveLength(2);
        expect(ofRun.indexOf('run-retry')).toBeLessThan(ofRun.lastIndexOf('run-start'));
        expect(ofRun.at(-1)).toBe('run-end');
      } finally {
        stream.close();
      }
    });

    it('tells the user when the agent fails, and the next message works', async () => {
      const failed = await ask(client, 'main', '/fail the model is down');
      expect(failed.outcome).toMatchObject({
        kind: 'error',
        message: expect.stringContaining('the model is down'),
      });
      const next = await ask(client, 'main', 'and now?');
      expect(next.outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: and now?'] });
    });
  });
}
