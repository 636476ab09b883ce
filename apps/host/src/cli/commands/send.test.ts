import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import { createCliHarness, failure, until } from '../test-utils.js';

const harness = perTest(createCliHarness);

describe('nanoclaw send', () => {
  it('posts and prints the message id', async () => {
    const result = await harness.run(['send', '--group', 'main', 'hello', 'there']);
    expect(result).toEqual({ code: 0, stdout: 'msg-1\n', stderr: '' });
    expect(harness.api.posted).toEqual([{ folder: 'main', text: 'hello there', messageId: 'msg-1' }]);
  });

  it('--wait prints the reply, even one that comes before the POST answers', async () => {
    harness.api.onPost = ({ folder, messageId }) => {
      harness.api.bus.publish({ type: 'reply', folder, text: 'other chat', inReplyTo: ['msg-0'], chat: 'x' });
      harness.api.bus.publish({ type: 'reply', folder, text: 'Hi! 👋', inReplyTo: [messageId], chat: 'x' });
    };
    const result = await harness.run(['send', '--group', 'main', '--wait', '--sender', 'ana', 'hello']);
    expect(result).toEqual({ code: 0, stdout: 'Hi! 👋\n', stderr: '' });
    expect(harness.api.posted[0]).toMatchObject({ sender: 'ana' });
    await until(() => harness.api.bus.listenerCount() === 0);
  });

  it('--wait collects the replies of the run answering the message', async () => {
    harness.api.onPost = ({ folder, messageId }) => {
      const bus = harness.api.bus;
      bus.publish({ type: 'run-start', folder, runId: 'r1', inReplyTo: [messageId] });
      bus.publish({ type: 'text-delta', folder, runId: 'r1', delta: 'Looking' });
      bus.publish({ type: 'reply', folder, text: 'Looking…', inReplyTo: [messageId], chat: 'x' });
      setTimeout(() => {
        bus.publish({ type: 'reply', folder, text: 'Found it.', inReplyTo: [messageId], chat: 'x' });
        bus.publish({ type: 'run-end', folder, runId: 'r1', status: 'succeeded' });
      }, 20);
    };
    const result = await harness.run(['send', '--group', 'main', '--wait', 'find it']);
    expect(result).toEqual({ code: 0, stdout: 'Looking…\n\nFound it.\n', stderr: '' });
  });

  it('--wait says on stderr when a try failed and waits for the next', async () => {
    harness.api.onPost = ({ folder, messageId }) => {
      const bus = harness.api.bus;
      bus.publish({ type: 'run-start', folder, runId: 'r1', inReplyTo: [messageId] });
      bus.publish({ type: 'run-retry', folder, runId: 'r1', message: 'the sandbox died', retryInMs: 9_800 });
      bus.publish({ type: 'run-start', folder, runId: 'r1', inReplyTo: [messageId] });
      bus.publish({ type: 'reply', folder, text: 'Done.', inReplyTo: [messageId], chat: 'x' });
      bus.publish({ type: 'run-end', folder, runId: 'r1', status: 'succeeded' });
    };
    const result = await harness.run(['send', '--group', 'main', '--wait', 'do it']);
    expect(result).toEqual({
      code: 0,
      stdout: 'Done.\n',
      stderr: 'note: this try failed (the sandbox died); trying again in 10 s\n',
    });
  });

  it('--wait exits 1 with the error of an error event', async () => {
    harness.api.onPost = ({ folder, messageId }) => {
      harness.api.bus.publish({
        type: 'error',
        folder,
        message: 'provider rate limited',
        inReplyTo: [messageId],
      });
    };
    const result = await harness.run(['send', '--group', 'main', '--wait', 'hello']);
    expect(result).toEqual(failure('nanoclaw: the agent failed: provider rate limited\n'));
  });

  it('--wait exits 124 on timeout', async () => {
    const result = await harness.run(['send', '--group', 'main', '--wait', '--timeout', '0.2', 'hello']);
    expect(result.code).toBe(124);
    expect(result.stderr).toContain('no reply within 0.2 s (message msg-1 is stored');
    await until(() => harness.api.bus.listenerCount() === 0);
  });

  it('--wait exits 0 with a note when the message is stored as context only', async () => {
    harness.api.willReply = false;
    const result = await harness.run(['send', '--group', 'family', '--wait', 'just chatting']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^note: stored as context only/);
  });

  it('--wait fails when the host goes away before replying', async () => {
    harness.api.onPost = () => {
      setTimeout(() => void harness.httpApi.close(), 20);
    };
    const result = await harness.run(['send', '--group', 'main', '--wait', 'hello']);
    expect(result.code).toBe(69);
    expect(result.stderr).toContain('the host closed the event stream');
  });

  it('names an unknown group', async () => {
    const result = await harness.run(['send', '--group', 'nobody', '--wait', 'hello']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'nanoclaw: no group "nobody" (HTTP 404)\n' });
  });

  it('refuses a bad --timeout', async () => {
    const result = await harness.run(['send', '--group', 'main', '--wait', '--timeout', 'soon', 'hello']);
    expect(result.code).toBe(2);
    expect(harness.api.posted).toEqual([]);
  });

  it('--file sends a 99,000-character message from a file, without its final line break', async () => {
    const file = path.join(harness.root, 'long.txt');
    const text = prose(99_000);
    fs.writeFileSync(file, `${text}\n`);
    const result = await harness.run(['send', '--group', 'main', '--file', file]);
    expect(result).toEqual({ code: 0, stdout: 'msg-1\n', stderr: '' });
    expect(harness.api.posted.map((message) => message.text)).toEqual([text]);
  });

  it('`-` sends a 99,000-character message read from stdin', async () => {
    const text = prose(99_000);
    const stdin = new PassThrough();
    stdin.end(text);
    const result = await harness.run(['send', '--group', 'main', '-'], { stdin });
    expect(result).toEqual({ code: 0, stdout: 'msg-1\n', stderr: '' });
    expect(harness.api.posted.map((message) => message.text)).toEqual([text]);
  });

  it('refuses a message over the limit, naming it, and sends nothing', async () => {
    const file = path.join(harness.root, 'too-long.txt');
    fs.writeFileSync(file, prose(150_000));
    const result = await harness.run(['send', '--group', 'main', '--file', file]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `nanoclaw: the file ${file} is 150,000 characters; a message may be at most 100,000 (split it into several)\n`,
    });
    const stdin = new PassThrough();
    stdin.end('x'.repeat(100_001));
    const piped = await harness.run(['send', '--group', 'main', '-'], { stdin });
    expect(piped.stderr).toBe(
      'nanoclaw: the message on stdin is 100,001 characters; a message may be at most 100,000 (split it into several)\n',
    );
    expect(harness.api.posted).toEqual([]);
  });

  it('takes exactly one source: words, --file or -', async () => {
    const file = path.join(harness.root, 'note.txt');
    fs.writeFileSync(file, 'hello');
    const both = await harness.run(['send', '--group', 'main', '--file', file, 'hello']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give the message as words, as `--file <path>`, or as `-`');
    expect((await harness.run(['send', '--group', 'main'])).code).toBe(2);
    const missing = await harness.run(['send', '--group', 'main', '--file', path.join(harness.root, 'nope')]);
    expect(missing.stderr).toBe(
      `nanoclaw: cannot read --file ${path.join(harness.root, 'nope')}: no such file\n`,
    );
    const stdin = new PassThrough();
    stdin.end('\n');
    expect((await harness.run(['send', '--group', 'main', '-'], { stdin })).stderr).toBe(
      'nanoclaw: the message on stdin is empty: nothing to send\n',
    );
    expect(harness.api.posted).toEqual([]);
  });
});

/** Sentences, `length` characters in all. */
function prose(length: number): string {
  return 'Every word of this sentence counts. '.repeat(Math.ceil(length / 36)).slice(0, length);
}
