import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliHarness, createCliHarness } from '../test-utils.js';

let harness: CliHarness;
beforeEach(async () => {
  harness = await createCliHarness();
});
afterEach(async () => {
  await harness.cleanup();
});

function input(lines: string[]): PassThrough {
  const stdin = new PassThrough();
  stdin.end(lines.map((line) => `${line}\n`).join(''));
  return stdin;
}

describe('nanoclaw chat', () => {
  it('streams deltas, does not repeat a reply it streamed, and quits at end of input', async () => {
    harness.api.onPost = ({ folder, messageId, text }) => {
      const bus = harness.api.bus;
      const runId = `run-${messageId}`;
      bus.publish({ type: 'run-start', folder, runId, inReplyTo: [messageId] });
      bus.publish({ type: 'text-delta', folder, runId, delta: 'Hel' });
      bus.publish({ type: 'text-delta', folder, runId, delta: 'lo' });
      bus.publish({
        type: 'reply',
        folder,
        text: text === 'hi' ? 'Hello' : 'Something else',
        inReplyTo: [messageId],
        chat: 'x',
      });
      bus.publish({ type: 'run-end', folder, runId, status: 'succeeded' });
    };
    const result = await harness.run(['chat', '--group', 'main'], { stdin: input(['hi', '', 'again']) });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Hello\nHello\nSomething else\n');
    expect(result.stderr).toBe(`chatting with main on http://127.0.0.1:${harness.port} — Ctrl-D to quit\n`);
    expect(harness.api.posted.map((message) => message.text)).toEqual(['hi', 'again']);
  });

  it('reports an agent error and carries on', async () => {
    harness.api.onPost = ({ folder, messageId, text }) => {
      if (text === 'break')
        harness.api.bus.publish({ type: 'error', folder, message: 'boom', inReplyTo: [messageId] });
      else
        harness.api.bus.publish({ type: 'reply', folder, text: 'fine', inReplyTo: [messageId], chat: 'x' });
    };
    const result = await harness.run(['chat', '--group', 'main'], { stdin: input(['break', 'ok?']) });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('✗ the agent failed: boom');
    expect(result.stdout).toBe('fine\n');
  });

  it('fails at once for an unknown group', async () => {
    const result = await harness.run(['chat', '--group', 'nobody'], { stdin: input(['hi']) });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'nanoclaw: no group "nobody" (HTTP 404)\n' });
  });
});
