/**
 * The runner hangs: frozen (SIGSTOP) mid-turn, so no event and no heartbeat comes. With `timeouts.heartbeatMs`
 * at 2 s in container.json, the host must end the turn within that time (the sandbox is stopped), retry it in a
 * fresh sandbox, and, when every try hangs, tell the user with an error reply.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxRuntime, until } from './api.js';
import { alive } from './processes.js';
import { writeSummary } from './results.js';
import { outcomeOf, type SandboxHost, startSandboxHost, untilErrorNotice } from './sandbox-host.js';

const HEARTBEAT_MS = 2_000;
/** The watchdog may fire up to a heartbeat interval late, plus the time to stop the sandbox. */
const SLACK_MS = 2_000;

const sandbox = await sandboxRuntime();

describe.skipIf('skip' in sandbox)('the runner hangs (bwrap)', () => {
  let setup: SandboxHost | undefined;
  afterAll(async () => {
    await setup?.close();
  });

  it(`the heartbeat (${HEARTBEAT_MS} ms) ends each hung try in time; the user is told after the last`, async () => {
    setup = await startSandboxHost('runner-hang', 'runtime' in sandbox ? sandbox.runtime : 'process', {
      timeouts: { heartbeatMs: HEARTBEAT_MS },
    });
    const { api, events } = setup;
    const posted = await api.postMessage('main', '/sleep 60000\na question the agent never finishes');
    const endedAfter: number[] = [];
    let since = 0;
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const start = await setup.nextRunStart(posted.messageId, since);
      since = start.at;
      await setup.runsHandedOver(attempt);
      await new Promise((resolve) => setTimeout(resolve, 300)); // run/start reached the runner
      const box = await setup.liveSandbox();
      const frozenAt = Date.now();
      for (const pid of box.runners) process.kill(pid, 'SIGSTOP');
      await until(() => !alive(box.sandbox), HEARTBEAT_MS + SLACK_MS + 5_000, 'the hung sandbox stopped');
      endedAfter.push(Date.now() - frozenAt);
    }
    await until(() => outcomeOf(events, posted.messageId).length > 0, 60_000, 'the user told');
    const [told] = outcomeOf(events, posted.messageId);
    expect(told?.event.type).toBe('error');
    expect(told?.event.message).toMatch(/heartbeat/);
    await untilErrorNotice(events);
    const summary = {
      heartbeatMs: HEARTBEAT_MS,
      tries: endedAfter.length,
      hungTryEndedAfterMs: endedAfter,
      errorMessage: told?.event.message,
    };
    writeSummary('runner-hang', summary);
    console.log(`[runner hang] ${JSON.stringify(summary)}`);
    for (const ms of endedAfter) expect(ms).toBeLessThanOrEqual(HEARTBEAT_MS + SLACK_MS);
  });
});
