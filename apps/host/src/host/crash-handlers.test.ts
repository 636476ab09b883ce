import { EventEmitter } from 'node:events';
import { type LogLine, memoryLogger } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { CRASH_EXIT_CODE, installCrashHandlers } from './crash-handlers.js';

function setUp(stop: () => Promise<void> = async () => undefined) {
  const source = new EventEmitter();
  const lines: LogLine[] = [];
  const exits: number[] = [];
  const order: string[] = [];
  const uninstall = installCrashHandlers({
    logger: memoryLogger(lines),
    stop: async () => {
      order.push('stop');
      await stop();
    },
    exit: (code) => {
      order.push('exit');
      exits.push(code);
    },
    source,
  });
  return { source, lines, exits, order, uninstall };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('the host crash handlers', () => {
  it('an unhandled rejection is logged (fatal), then the host stops cleanly and exits non-zero', async () => {
    const { source, lines, exits, order } = setUp();
    source.emit('unhandledRejection', new Error('queue-closed'));
    await settle();
    expect(lines).toEqual([
      {
        level: 'fatal',
        bindings: { err: new Error('queue-closed'), kind: 'unhandled rejection' },
        message: 'crashed: stopping cleanly, then exiting',
      },
    ]);
    expect(order).toEqual(['stop', 'exit']);
    expect(exits).toEqual([CRASH_EXIT_CODE]);
    expect(CRASH_EXIT_CODE).not.toBe(0);
  });

  it('an uncaught exception does the same; a second crash while stopping is logged, not stopped twice', async () => {
    let finish = () => {};
    const { source, lines, exits, order } = setUp(() => new Promise<void>((resolve) => (finish = resolve)));
    source.emit('uncaughtException', new Error('boom'));
    source.emit('unhandledRejection', 'later');
    await settle();
    expect(exits).toEqual([]);
    finish();
    await settle();
    expect(lines.map((line) => line.level)).toEqual(['fatal', 'error']);
    expect(order).toEqual(['stop', 'exit']);
    expect(exits).toEqual([CRASH_EXIT_CODE]);
  });

  it('a stop that fails still exits non-zero, and says why', async () => {
    const { source, lines, exits } = setUp(async () => {
      throw new Error('database locked');
    });
    source.emit('unhandledRejection', new Error('x'));
    await settle();
    expect(lines.at(-1)).toMatchObject({ level: 'error', message: 'the stop after a crash failed' });
    expect(exits).toEqual([CRASH_EXIT_CODE]);
  });

  it('uninstalling removes both listeners', () => {
    const { source, uninstall } = setUp();
    expect(source.listenerCount('unhandledRejection')).toBe(1);
    expect(source.listenerCount('uncaughtException')).toBe(1);
    uninstall();
    expect(source.listenerCount('unhandledRejection')).toBe(0);
    expect(source.listenerCount('uncaughtException')).toBe(0);
  });
});
