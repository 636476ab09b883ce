import type { AgentSandbox } from '@nanoclaw/container-runner';
import type { AgentEvent } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { PooledSandbox } from './pooled-sandbox.js';

/** A sandbox whose one run streams until `finish()`, and that exits on `exit()`. */
function fakeSandbox() {
  let busy = false;
  let finish = () => {};
  let exit = () => {};
  const closed = new Promise<never>((resolve) => {
    exit = () => resolve(undefined as never);
  });
  const inner = {
    get busy() {
      return busy;
    },
    closed,
    async *run(): AsyncIterable<AgentEvent> {
      busy = true;
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      busy = false;
      yield { type: 'turn-end', turnId: 't', status: 'completed', text: 'done' } as AgentEvent;
    },
  } as unknown as AgentSandbox;
  return { inner, finish: () => finish(), exit: () => exit() };
}

async function drain(events: AsyncIterable<AgentEvent>): Promise<void> {
  for await (const _ of events) {
    // consume
  }
}

describe('a pooled sandbox waiting to be idle', () => {
  it('wakes when the run streaming ends, not after a poll or the deadline', async () => {
    const fake = fakeSandbox();
    const sandbox = new PooledSandbox(fake.inner);
    const run = drain(sandbox.run({ text: 'x' }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    const idle = sandbox.whenIdle(5_000);
    setTimeout(fake.finish, 50);
    expect(await idle).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    await run;
  });

  it('false when still busy at the deadline; true at once when the sandbox is gone', async () => {
    const fake = fakeSandbox();
    const sandbox = new PooledSandbox(fake.inner);
    const run = drain(sandbox.run({ text: 'x' }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await sandbox.whenIdle(100)).toBe(false);
    const idle = sandbox.whenIdle(5_000);
    fake.exit();
    expect(await idle).toBe(true);
    fake.finish();
    await run;
  });
});
