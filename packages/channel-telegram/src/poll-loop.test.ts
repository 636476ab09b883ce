import type { Timers } from '@nanoclaw/channel-registry';
import { silentLogger } from '@nanoclaw/testing';
import { type Api, GrammyError, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { type PollLoopOptions, runPollLoop } from './poll-loop.js';

type Step = Update[] | Error;

/** A getUpdates that plays a script, records each call's offset, and aborts the loop when the script ends. */
function scriptedApi(steps: Step[], controller: AbortController) {
  const offsets: Array<number | undefined> = [];
  const api = {
    async getUpdates(params: { offset?: number; timeout?: number }) {
      offsets.push(params.offset);
      const step = steps.shift();
      if (step === undefined) {
        if (params.timeout !== 0) controller.abort();
        return [];
      }
      if (step instanceof Error) throw step;
      return step;
    },
  } as unknown as Api;
  return { api, offsets };
}

function instantTimers(delays: number[]): Timers {
  return {
    setTimeout: (fn, ms) => {
      delays.push(ms);
      queueMicrotask(fn);
      return 0;
    },
    clearTimeout: () => {},
  };
}

/** Runs the loop on `api` until the script ends: instant timers, no jitter, silent; `options` for what a case is about. */
function runScripted(
  api: Api,
  controller: AbortController,
  options: Partial<PollLoopOptions> = {},
): Promise<void> {
  return runPollLoop({
    api,
    timeoutSeconds: 30,
    offset: undefined,
    handle: async () => {},
    onHealth: () => {},
    onOffset: () => {},
    logger: silentLogger(),
    backoff: {},
    timers: instantTimers([]),
    random: () => 0.5,
    signal: controller.signal,
    ...options,
  });
}

const update = (id: number): Update => ({ update_id: id }) as Update;
const conflict = () =>
  new GrammyError(
    'conflict',
    { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request' },
    'getUpdates',
    {},
  );

describe('runPollLoop', () => {
  it('confirms an update with the next poll only after handle resolved', async () => {
    const controller = new AbortController();
    const { api, offsets } = scriptedApi([[update(5), update(6)], [update(7)]], controller);
    const handled: number[] = [];
    await runScripted(api, controller, {
      handle: async (u) => {
        handled.push(u.update_id);
      },
    });
    expect(handled).toEqual([5, 6, 7]);
    expect(offsets).toEqual([undefined, 7, 8]);
  });

  it('keeps the offset when handle fails, so the same update is fetched again', async () => {
    const controller = new AbortController();
    const { api, offsets } = scriptedApi([[update(1), update(2)], [update(2)]], controller);
    let failed = false;
    const handled: number[] = [];
    await runScripted(api, controller, {
      handle: async (u) => {
        if (u.update_id === 2 && !failed) {
          failed = true;
          throw new Error('store failed');
        }
        handled.push(u.update_id);
      },
    });
    expect(handled).toEqual([1, 2]);
    expect(offsets).toEqual([undefined, 2, 3]);
  });

  it('backs off exponentially on poll errors, resets after a success, and reports health', async () => {
    const controller = new AbortController();
    const network = new HttpError('Network request failed', new Error('ECONNRESET'));
    const { api } = scriptedApi([conflict(), network, network, [], network], controller);
    const delays: number[] = [];
    const health: Array<[boolean, string | undefined]> = [];
    await runScripted(api, controller, {
      offset: 10,
      onHealth: (connected, error) => health.push([connected, error]),
      backoff: { baseMs: 100, maxMs: 1000, jitter: 0 },
      timers: instantTimers(delays),
    });
    expect(delays).toEqual([100, 200, 400, 100]);
    expect(health[0]).toEqual([false, '409 Conflict: terminated by other getUpdates request']);
    expect(health[3]).toEqual([true, undefined]);
  });
});
