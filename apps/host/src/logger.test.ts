import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, lines: () => chunks.join('').trim().split('\n').filter(Boolean) };
}

describe('createLogger', () => {
  it('writes JSON lines when the destination is not a terminal', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', format: 'auto', destination: out.stream });
    logger.info({ group: 'main' }, 'host ready');
    const line = JSON.parse(out.lines()[0] ?? '{}');
    expect(line).toMatchObject({ msg: 'host ready', group: 'main', app: 'nanoclaw', level: 30 });
  });

  it('redacts secrets at the top level and nested, in child loggers too', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', format: 'json', destination: out.stream });
    logger.child({ session: 's1' }).info(
      {
        OPENAI_API_KEY: 'sk-live-123',
        env: { ANTHROPIC_API_KEY: 'sk-ant-456', TRANSCRIBE_API_KEY: 'sk-whisper-789' },
        request: { headers: { authorization: 'Bearer abc' } },
      },
      'spawn',
    );
    const text = out.lines().join('\n');
    expect(text).not.toContain('sk-live-123');
    expect(text).not.toContain('sk-ant-456');
    expect(text).not.toContain('sk-whisper-789');
    expect(text).not.toContain('Bearer abc');
    expect(JSON.parse(out.lines()[0] ?? '{}')).toMatchObject({ session: 's1', OPENAI_API_KEY: '[redacted]' });
  });

  it('writes human lines when asked for pretty output', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', format: 'pretty', destination: out.stream });
    logger.info('hello there');
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        const text = out.lines().join('\n');
        expect(text).toContain('hello there');
        expect(() => JSON.parse(text)).toThrow();
        resolve();
      }, 50),
    );
  });

  it('respects the level', () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', format: 'json', destination: out.stream });
    logger.info('quiet');
    logger.warn('loud');
    expect(out.lines()).toHaveLength(1);
  });
});
