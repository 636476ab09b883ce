import { describe, expect, it, vi } from 'vitest';
import type { HostEvent } from '../host-api.js';
import { createReplyWatcher, describeRetry } from './reply-watcher.js';

const reply = (text: string, inReplyTo: string[]): HostEvent => ({
  type: 'reply',
  folder: 'main',
  text,
  inReplyTo,
  chat: 'local:default:main',
});

describe('createReplyWatcher', () => {
  it('finds a reply that arrived before the wait began', async () => {
    const watcher = createReplyWatcher();
    watcher.handle(reply('other', ['m-0']));
    watcher.handle(reply('yours', ['m-1', 'm-2']));
    await expect(watcher.wait('m-2')).resolves.toEqual({ kind: 'reply', texts: ['yours'] });
  });

  it('collects every reply of a run answering the message, with its deltas', async () => {
    const watcher = createReplyWatcher();
    const deltas: string[] = [];
    const waiting = watcher.wait('m-1', { onDelta: (d) => deltas.push(d) });
    watcher.handle({ type: 'run-start', folder: 'main', runId: 'r1', inReplyTo: ['m-1'] });
    watcher.handle({ type: 'text-delta', folder: 'main', runId: 'r1', delta: 'wor' });
    watcher.handle({ type: 'text-delta', folder: 'main', runId: 'r9', delta: 'not ours' });
    watcher.handle(reply('on it', ['m-1']));
    watcher.handle({ type: 'text-delta', folder: 'main', runId: 'r1', delta: 'king' });
    watcher.handle(reply('done', ['m-1']));
    watcher.handle({ type: 'run-end', folder: 'main', runId: 'r1', status: 'succeeded' });
    await expect(waiting).resolves.toEqual({ kind: 'reply', texts: ['on it', 'done'] });
    expect(deltas).toEqual(['wor', 'king']);
  });

  it('a failed try of the run is told and waited out; the next try answers', async () => {
    const watcher = createReplyWatcher();
    const heard: string[] = [];
    const waiting = watcher.wait('m-1', {
      onDelta: (d) => heard.push(d),
      onRetry: (retry) => heard.push(describeRetry(retry)),
    });
    watcher.handle({ type: 'run-start', folder: 'main', runId: 'r1', inReplyTo: ['m-1'] });
    watcher.handle({ type: 'text-delta', folder: 'main', runId: 'r1', delta: 'Half' });
    watcher.handle({
      type: 'run-retry',
      folder: 'main',
      runId: 'r1',
      message: 'the sandbox died',
      retryInMs: 4_600,
    });
    watcher.handle({ type: 'run-start', folder: 'main', runId: 'r1', inReplyTo: ['m-1'] });
    watcher.handle({ type: 'text-delta', folder: 'main', runId: 'r1', delta: 'Whole' });
    watcher.handle(reply('Whole', ['m-1']));
    watcher.handle({ type: 'run-end', folder: 'main', runId: 'r1', status: 'succeeded' });
    await expect(waiting).resolves.toEqual({ kind: 'reply', texts: ['Whole'] });
    expect(heard).toEqual(['Half', 'note: this try failed (the sandbox died); trying again in 5 s', 'Whole']);
  });

  it('waits for every part of a long reply, even when the run ended after the first', async () => {
    const watcher = createReplyWatcher();
    const parts: string[] = [];
    const waiting = watcher.wait('m-1', { onReply: (text, part) => parts.push(`${part?.index}:${text}`) });
    const part = (text: string, index: number): HostEvent => ({
      type: 'reply',
      folder: 'main',
      text,
      inReplyTo: ['m-1'],
      chat: 'local:default:main',
      part: { index, count: 3 },
    });
    watcher.handle({ type: 'run-start', folder: 'main', runId: 'r1', inReplyTo: ['m-1'] });
    watcher.handle(part('one', 1));
    watcher.handle({ type: 'run-end', folder: 'main', runId: 'r1', status: 'succeeded' });
    watcher.handle(part('two', 2));
    await expect(Promise.race([waiting, Promise.resolve('still waiting')])).resolves.toBe('still waiting');
    watcher.handle(part('three', 3));
    await expect(waiting).resolves.toEqual({ kind: 'reply', texts: ['one\ntwo\nthree'] });
    expect(parts).toEqual(['1:one', '2:two', '3:three']);
  });

  it('settles on an error for the message or a failed run', async () => {
    const watcher = createReplyWatcher();
    const first = watcher.wait('m-1');
    watcher.handle({ type: 'error', folder: 'main', message: 'provider down', inReplyTo: ['m-1'] });
    await expect(first).resolves.toEqual({ kind: 'error', message: 'provider down' });
    watcher.hold();
    const second = watcher.wait('m-2');
    watcher.handle({ type: 'run-start', folder: 'main', runId: 'r2', inReplyTo: ['m-2'] });
    watcher.handle({ type: 'run-end', folder: 'main', runId: 'r2', status: 'failed' });
    await expect(second).resolves.toMatchObject({ kind: 'error' });
  });

  it('waits a little for a late reply after a run ends, then reports none', async () => {
    vi.useFakeTimers();
    try {
      const watcher = createReplyWatcher({ lateReplyGraceMs: 1_000 });
      const late = watcher.wait('m-1');
      watcher.handle({ type: 'run-start', folder: 'main', runId: 'r1', inReplyTo: ['m-1'] });
      watcher.handle({ type: 'run-end', folder: 'main', runId: 'r1', status: 'succeeded' });
      watcher.handle(reply('late', ['m-1']));
      await expect(late).resolves.toEqual({ kind: 'reply', texts: ['late'] });
      watcher.hold();
      const silent = watcher.wait('m-2');
      watcher.handle({ type: 'run-start', folder: 'main', runId: 'r2', inReplyTo: ['m-2'] });
      watcher.handle({ type: 'run-end', folder: 'main', runId: 'r2', status: 'succeeded' });
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(silent).resolves.toEqual({ kind: 'no-reply' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('hands other events to listeners, and stops on abort', async () => {
    const watcher = createReplyWatcher();
    const others: HostEvent[] = [];
    watcher.onOther((event) => others.push(event));
    const controller = new AbortController();
    const waiting = watcher.wait('m-1', { signal: controller.signal });
    watcher.handle(reply('scheduled news', []));
    controller.abort();
    await expect(waiting).resolves.toEqual({ kind: 'aborted' });
    watcher.handle(reply('more news', []));
    expect(others.map((e) => (e.type === 'reply' ? e.text : ''))).toEqual(['scheduled news', 'more news']);
  });
});
