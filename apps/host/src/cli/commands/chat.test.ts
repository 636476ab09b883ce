import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import { createCliHarness, until } from '../test-utils.js';

const harness = perTest(createCliHarness);

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

  it('ends what streamed of a failed try on its own line, says it tries again, and shows the next try', async () => {
    harness.api.onPost = ({ folder, messageId }) => {
      const bus = harness.api.bus;
      const runId = `run-${messageId}`;
      bus.publish({ type: 'run-start', folder, runId, inReplyTo: [messageId] });
      bus.publish({ type: 'text-delta', folder, runId, delta: 'Hal' });
      bus.publish({ type: 'run-retry', folder, runId, message: 'the sandbox died', retryInMs: 5_000 });
      bus.publish({ type: 'run-start', folder, runId, inReplyTo: [messageId] });
      bus.publish({ type: 'text-delta', folder, runId, delta: 'Hello' });
      bus.publish({ type: 'reply', folder, text: 'Hello', inReplyTo: [messageId], chat: 'x' });
      bus.publish({ type: 'run-end', folder, runId, status: 'succeeded' });
    };
    const result = await harness.run(['chat', '--group', 'main'], { stdin: input(['hi']) });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Hal\nHello\n');
    expect(result.stderr).toContain('note: this try failed (the sandbox died); trying again in 5 s\n');
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

  it('prints a reply that arrives while the prompt is shown above it, and redraws what was typed', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stdout = createTerminal();
    harness.api.onPost = ({ folder, messageId, text }) =>
      harness.api.bus.publish({
        type: 'reply',
        folder,
        text: `you said ${text}`,
        inReplyTo: [messageId],
        chat: 'x',
      });
    const running = harness.run(['chat', '--group', 'main'], { stdin, stdout });
    await until(() => stdout.screen().at(-1) === 'you> ');
    stdin.write('hel');
    await until(() => stdout.screen().at(-1) === 'you> hel');
    harness.api.bus.publish({
      type: 'reply',
      folder: 'main',
      text: 'news from a task',
      inReplyTo: [],
      chat: 'x',
    });
    await until(() => stdout.screen().includes('[main] news from a task'));
    expect(stdout.screen()).toEqual(['[main] news from a task', 'you> hel']);
    stdin.write('lo\r');
    await until(() => stdout.screen().includes('you said hello'));
    stdin.end();
    const result = await running;
    expect(result.code).toBe(0);
    expect(harness.api.posted.map((message) => message.text)).toEqual(['hello']);
    expect(stdout.screen()).toEqual(['[main] news from a task', 'you> hello', 'you said hello', 'you> ']);
  });

  it('fails at once for an unknown group', async () => {
    const result = await harness.run(['chat', '--group', 'nobody'], { stdin: input(['hi']) });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'nanoclaw: no group "nobody" (HTTP 404)\n' });
  });
});

/**
 * What a terminal shows for the text written to it: the rows, after the cursor moves and erases readline
 * writes (CSI n G / A / B / C / D, CSI 0 J, CSI 0 K), trailing blank rows dropped.
 */
function createTerminal(): { write(text: string): void; screen(): string[] } {
  const rows: string[] = [''];
  let row = 0;
  let col = 0;
  const put = (char: string) => {
    const line = (rows[row] ?? '').padEnd(col, ' ');
    rows[row] = line.slice(0, col) + char + line.slice(col + 1);
    col += 1;
  };
  const control = (count: number, command: string) => {
    if (command === 'G') col = Math.max(0, count - 1);
    else if (command === 'A') row = Math.max(0, row - count);
    else if (command === 'B') row += count;
    else if (command === 'C') col += count;
    else if (command === 'D') col = Math.max(0, col - count);
    else if (command === 'J') rows.splice(row + 1, rows.length, ...[]);
    if (command === 'J' || command === 'K') rows[row] = (rows[row] ?? '').slice(0, col);
    while (rows.length <= row) rows.push('');
  };
  return {
    write(text) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: a terminal's escape sequences are what it reads
      for (const match of text.matchAll(/\x1b\[(\d*)([A-Za-z])|\r|\n|[^\x1b\r\n]/g)) {
        const [token, count, command] = match;
        if (command !== undefined)
          control(count === '' ? (command === 'J' || command === 'K' ? 0 : 1) : Number(count), command);
        else if (token === '\r') col = 0;
        else if (token === '\n') {
          row += 1;
          col = 0;
          while (rows.length <= row) rows.push('');
        } else put(token);
      }
    },
    screen() {
      const shown = [...rows];
      while (shown.length > 0 && shown.at(-1)?.trim() === '' && shown.at(-1) !== 'you> ') shown.pop();
      return shown.map((line) => (line === 'you> ' ? line : line.trimEnd()));
    },
  };
}
