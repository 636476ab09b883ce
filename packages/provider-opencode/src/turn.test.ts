import type { AgentEvent } from '@nanoclaw/core';
import type { Event as OpencodeEvent } from '@opencode-ai/sdk/v2';
import { describe, expect, it } from 'vitest';
import { TurnTracker } from './turn.js';

const S = 'ses_1';

function status(type: 'busy' | 'idle'): OpencodeEvent {
  return { id: 'e', type: 'session.status', properties: { sessionID: S, status: { type } } } as OpencodeEvent;
}
function retry(attempt: number): OpencodeEvent {
  const properties = {
    sessionID: S,
    status: { type: 'retry', attempt, message: 'scripted failure', next: 0 },
  };
  return { id: 'e', type: 'session.status', properties } as OpencodeEvent;
}
function message(
  id: string,
  role: 'user' | 'assistant',
  parentID?: string,
  error?: unknown,
  created = Date.now(),
): OpencodeEvent {
  const info = { id, role, parentID, error, time: { created } };
  return { id: 'e', type: 'message.updated', properties: { sessionID: S, info } } as never;
}
function text(messageID: string, id: string, value: string): OpencodeEvent {
  const part = { id, sessionID: S, messageID, type: 'text', text: value };
  return { id: 'e', type: 'message.part.updated', properties: { sessionID: S, part, time: 0 } } as never;
}
function delta(messageID: string, partID: string, value: string): OpencodeEvent {
  const properties = { sessionID: S, messageID, partID, field: 'text', delta: value };
  return { id: 'e', type: 'message.part.delta', properties } as never;
}
function stepFinish(messageID: string, id: string, input: number, output: number, cached = 0): OpencodeEvent {
  const tokens = { input, output, reasoning: 0, cache: { read: cached, write: 0 } };
  const part = { id, sessionID: S, messageID, type: 'step-finish', reason: 'stop', cost: 0, tokens };
  return { id: 'e', type: 'message.part.updated', properties: { sessionID: S, part, time: 0 } } as never;
}
function sessionError(name: string, messageText: string): OpencodeEvent {
  return {
    id: 'e',
    type: 'session.error',
    properties: { sessionID: S, error: { name, data: { message: messageText } } },
  } as never;
}

function ofError(events: AgentEvent[]): string | undefined {
  const error = events.find((event) => event.type === 'error');
  return error?.type === 'error' ? error.message : undefined;
}

function tracker() {
  const startedAt = Date.now() - 1;
  const events: AgentEvent[] = [];
  const retries: number[] = [];
  let compacted = 0;
  const turn = new TurnTracker(
    't1',
    (event) => events.push(event),
    ['echo'],
    {
      onRetry: (r) => retries.push(r.attempt),
      onCompacted: () => compacted++,
      onRunning: () => {},
    },
    startedAt,
  );
  return { turn, events, retries, compacted: () => compacted };
}

describe('TurnTracker', () => {
  it('streams deltas, sums step usage and ends with the last assistant text', async () => {
    const { turn, events } = tracker();
    for (const event of [
      message('msg_u', 'user'),
      text('msg_u', 'prt_u', 'the prompt'),
      status('busy'),
      message('msg_a1', 'assistant', 'msg_u'),
      text('msg_a1', 'prt_1', ''),
      delta('msg_a1', 'prt_1', 'Step one.'),
      stepFinish('msg_a1', 'prt_s1', 100, 10, 5),
      message('msg_a2', 'assistant', 'msg_u'),
      text('msg_a2', 'prt_2', ''),
      delta('msg_a2', 'prt_2', 'Do'),
      delta('msg_a2', 'prt_2', 'ne.'),
      text('msg_a2', 'prt_2', 'Done.'),
      stepFinish('msg_a2', 'prt_s2', 200, 20),
      stepFinish('msg_a2', 'prt_s2', 200, 20),
      status('idle'),
    ]) {
      turn.handle(event);
    }
    expect(await turn.done).toBe('completed');
    turn.end();
    expect(events).toEqual([
      { type: 'text-delta', turnId: 't1', delta: 'Step one.' },
      { type: 'text-delta', turnId: 't1', delta: 'Do' },
      { type: 'text-delta', turnId: 't1', delta: 'ne.' },
      { type: 'usage', turnId: 't1', inputTokens: 300, cachedInputTokens: 5, outputTokens: 30 },
      { type: 'turn-end', turnId: 't1', status: 'completed', text: 'Done.' },
    ]);
  });

  it('ignores an idle before its busy, and an earlier turn’s late messages and abort errors', () => {
    const { turn, events } = tracker();
    turn.handle(status('idle'));
    turn.handle(sessionError('MessageAbortedError', 'Aborted'));
    turn.handle(status('idle'));
    turn.handle(message('msg_before', 'user', undefined, undefined, 0));
    turn.handle(message('msg_u', 'user'));
    turn.handle(message('msg_old', 'assistant', 'msg_before', { name: 'MessageAbortedError', data: {} }));
    turn.handle(text('msg_old', 'prt_old', 'stale text'));
    expect(turn.status).toBeUndefined();
    turn.handle(status('busy'));
    turn.handle(message('msg_a', 'assistant', 'msg_u'));
    turn.handle(status('idle'));
    expect(turn.status).toBe('completed');
    turn.end();
    expect(events).toEqual([{ type: 'turn-end', turnId: 't1', status: 'completed', text: '' }]);
  });

  it('fails a turn that went idle without ever running, with the error opencode sends just after', async () => {
    const { turn, events } = tracker();
    turn.handle(message('msg_u', 'user'));
    turn.handle(status('busy'));
    turn.handle(status('idle'));
    expect(turn.status).toBeUndefined();
    turn.handle(sessionError('UnknownError', 'Error: All fibers interrupted without error'));
    expect(await turn.done).toBe('failed');
    turn.end();
    expect(ofError(events)).toBe('Error: All fibers interrupted without error');

    const quiet = tracker();
    quiet.turn.handle(status('busy'));
    quiet.turn.handle(status('idle'));
    expect(await quiet.turn.done).toBe('failed');
    quiet.turn.end();
    expect(ofError(quiet.events)).toBe('opencode ended the turn without running it');
  });

  it('holds parts that arrive before their message, and emits text a full update got ahead with', () => {
    const { turn, events } = tracker();
    turn.handle(message('msg_u', 'user'));
    turn.handle(status('busy'));
    turn.handle(text('msg_a', 'prt_1', 'Hello'));
    expect(events).toEqual([]);
    turn.handle(message('msg_a', 'assistant', 'msg_u'));
    turn.handle(text('msg_a', 'prt_1', 'Hello world'));
    expect(events.map((event) => (event.type === 'text-delta' ? event.delta : ''))).toEqual([
      'Hello',
      ' world',
    ]);
    expect(turn.finalText()).toBe('Hello world');
  });

  it('fails on an opencode error and reports its message', async () => {
    const { turn, events } = tracker();
    turn.handle(sessionError('APIError', 'Bad request: nope'));
    turn.handle(status('idle'));
    expect(await turn.done).toBe('failed');
    turn.end();
    expect(events).toEqual([
      { type: 'error', turnId: 't1', message: 'Bad request: nope', code: 'model-error', retryable: true },
      { type: 'turn-end', turnId: 't1', status: 'failed', text: '' },
    ]);
  });

  it('reports retries and compactions to the session, and ends interrupted when asked to', async () => {
    const { turn, retries, compacted } = tracker();
    turn.handle(retry(1));
    turn.handle(retry(2));
    turn.handle({ id: 'e', type: 'session.compacted', properties: { sessionID: S } } as OpencodeEvent);
    expect(retries).toEqual([1, 2]);
    expect(compacted()).toBe(1);
    turn.interruptRequested = true;
    turn.handle(status('idle'));
    expect(await turn.done).toBe('interrupted');
    expect(turn.running).toBe(false);
  });
});
