/**
 * The sandbox is killed (kill -9 from outside, as an OOM kill or `docker kill` would) in the middle of a turn. The
 * host retries the turn in a fresh sandbox with backoff (5 tries; 5 s, 10 s, 20 s, 40 s); once it works the user
 * gets the reply, and when the last try dies too the user gets an error reply instead of silence.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxRuntime, until } from './api.js';
import { killTree } from './processes.js';
import { writeSummary } from './results.js';
import { outcomeOf, type SandboxHost, startSandboxHost, untilErrorNotice } from './sandbox-host.js';

const sandbox = await sandboxRuntime();

describe.skipIf('skip' in sandbox)('kill the sandbox mid-turn (bwrap)', () => {
  let setup: SandboxHost | undefined;
  afterAll(async () => {
    await setup?.close();
  });
  const summary: Record<string, unknown> = {};

  it('killed once: the turn is retried after a backoff and the user gets the reply', async () => {
    setup = await startSandboxHost('container-kill', 'runtime' in sandbox ? sandbox.runtime : 'process', {});
    const { api, events } = setup;
    const posted = await api.postMessage('main', '/sleep 3000\nfirst question');
    const start = await setup.nextRunStart(posted.messageId, 0);
    await setup.runsHandedOver(1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // run/start reached the runner
    const box = await setup.liveSandbox();
    const killedAt = Date.now();
    killTree(box.sandbox);
    await until(() => outcomeOf(events, posted.messageId).length > 0, 90_000, 'an answer');
    const [answer] = outcomeOf(events, posted.messageId);
    expect(answer?.event).toMatchObject({ type: 'reply', text: 'Mock reply to: first question' });
    const retry = await setup.nextRunStart(posted.messageId, start.at);
    summary.killedOnce = { retryAfterMs: retry.at - killedAt, answeredAfterMs: (answer?.at ?? 0) - killedAt };
    expect(retry.at - killedAt).toBeGreaterThan(3_000); // the first backoff (5 s ± jitter)
  });

  it('killed on every try: five tries with growing backoff, then an error reply', async () => {
    if (!setup) throw new Error('no host');
    const { api, events } = setup;
    const posted = await api.postMessage('main', '/sleep 30000\nsecond question');
    const kills: number[] = [];
    let since = Date.now() - 1;
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const start = await setup.nextRunStart(posted.messageId, since);
      since = start.at;
      await setup.runsHandedOver(2 + attempt);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const box = await setup.liveSandbox();
      kills.push(Date.now());
      killTree(box.sandbox);
    }
    await until(() => outcomeOf(events, posted.messageId).length > 0, 60_000, 'an error');
    const outcome = outcomeOf(events, posted.messageId);
    expect(outcome[0]?.event.type).toBe('error');
    // The chat is told in words too (the notice reply), and no normal reply ever came.
    await untilErrorNotice(events);
    expect(outcome.filter((e) => e.event.type === 'reply')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const starts = events.filter(
      (e) => e.event.type === 'run-start' && e.event.inReplyTo?.includes(posted.messageId),
    );
    expect(starts).toHaveLength(5); // no sixth try
    const gaps = kills.slice(1).map((at, i) => at - (kills[i] ?? at));
    for (let i = 1; i < gaps.length; i += 1) expect(gaps[i]).toBeGreaterThan(gaps[i - 1] ?? 0);
    summary.killedEveryTry = {
      tries: starts.length,
      gapsBetweenTriesMs: gaps,
      errorAfterLastKillMs: (outcome[0]?.at ?? 0) - (kills.at(-1) ?? 0),
      errorMessage: outcome[0]?.event.message,
    };
    writeSummary('container-kill', summary);
    console.log(`[container kill] ${JSON.stringify(summary)}`);
  });
});
