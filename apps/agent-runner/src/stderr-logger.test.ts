import { describe, expect, it } from 'vitest';
import { createStderrLogger, parseLogLevel } from './stderr-logger.js';

describe('createStderrLogger', () => {
  it('writes JSON lines with level, time, bindings and message, above the minimum level', () => {
    const lines: string[] = [];
    const logger = createStderrLogger({ level: 'info', bindings: { app: 'r' }, write: (l) => lines.push(l) });
    logger.debug('hidden');
    logger.info('plain');
    logger.child({ runId: 'x' }).warn({ err: new Error('boom'), n: 1 }, 'with fields');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'info',
      time: expect.any(Number),
      app: 'r',
      msg: 'plain',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({
      level: 'warn',
      app: 'r',
      runId: 'x',
      n: 1,
      err: { name: 'Error', message: 'boom' },
      msg: 'with fields',
    });
  });

  it('parses level names', () => {
    expect(parseLogLevel('debug')).toBe('debug');
    expect(parseLogLevel('loud')).toBeUndefined();
    expect(parseLogLevel(undefined)).toBeUndefined();
  });
});
