import { describe, expect, it } from 'vitest';
import {
  addSentMessage,
  applyEvent,
  bubbleText,
  type Conversation,
  type ConversationItem,
  initialConversation,
  toolLabel,
} from './conversation.js';
import type { HostEvent } from './types.js';

const folder = 'main';

function run(events: HostEvent[], start: Conversation = initialConversation()): Conversation {
  return events.reduce(applyEvent, start);
}

function agent(item: ConversationItem | undefined) {
  if (item?.kind !== 'agent') throw new Error(`expected an agent bubble, got ${item?.kind}`);
  return item;
}

describe('the conversation reducer', () => {
  it('starts from the stored messages, oldest first', () => {
    const state = initialConversation([
      { id: '1', chat: 'main', sender: 'user', senderName: 'Ann', text: 'hi', at: 1, fromAgent: false },
      { id: '2', chat: 'main', sender: 'bot', senderName: '', text: 'hello', at: 2, fromAgent: true },
    ]);
    expect(
      state.items.map((i) => (i.kind === 'message' ? [i.senderName, i.text, i.fromAgent] : i.kind)),
    ).toEqual([
      ['Ann', 'hi', false],
      ['bot', 'hello', true],
    ]);
  });

  it('grows one streaming bubble from text deltas', () => {
    const state = run([
      { type: 'run-start', folder, runId: 'r1', inReplyTo: ['m1'] },
      { type: 'text-delta', folder, runId: 'r1', delta: 'Hel' },
      { type: 'text-delta', folder, runId: 'r1', delta: 'lo' },
    ]);
    expect(state.items).toHaveLength(1);
    const bubble = agent(state.items[0]);
    expect(bubble.streaming).toBe(true);
    expect(bubbleText(bubble)).toBe('Hello');
  });

  it('a failed try empties the bubble and says when the run tries again; the next try streams anew', () => {
    const failed = run([
      { type: 'run-start', folder, runId: 'r1', inReplyTo: ['m1'] },
      { type: 'text-delta', folder, runId: 'r1', delta: 'Half a rep' },
      { type: 'run-retry', folder, runId: 'r1', message: 'the sandbox died', retryInMs: 5_000 },
    ]);
    const waiting = agent(failed.items[0]);
    expect(waiting).toMatchObject({
      streaming: true,
      status: 'retrying',
      retry: { message: 'the sandbox died', retryInMs: 5_000 },
    });
    expect(bubbleText(waiting)).toBe('');
    const again = run(
      [
        { type: 'run-start', folder, runId: 'r1', inReplyTo: ['m1'] },
        { type: 'text-delta', folder, runId: 'r1', delta: 'A whole reply' },
        { type: 'run-end', folder, runId: 'r1', status: 'succeeded' },
      ],
      failed,
    );
    expect(again.items).toHaveLength(1);
    const done = agent(again.items[0]);
    expect(done).toMatchObject({ streaming: false, status: 'succeeded', retry: null });
    expect(bubbleText(done)).toBe('A whole reply');
  });

  it('keeps a reply the run already sent when a later try fails', () => {
    const state = run([
      { type: 'run-start', folder, runId: 'r1', inReplyTo: ['m1'] },
      { type: 'reply', folder, text: 'First answer', inReplyTo: ['m1'], chat: 'x' },
      { type: 'run-retry', folder, runId: 'r1', message: 'the sandbox died', retryInMs: 5_000 },
    ]);
    const bubble = agent(state.items[0]);
    expect(bubble).toMatchObject({ status: 'retrying', streaming: true });
    expect(bubbleText(bubble)).toBe('First answer');
  });

  it('ignores a retry of a run it never showed', () => {
    const state = run([{ type: 'run-retry', folder, runId: 'r7', message: 'x', retryInMs: 1 }]);
    expect(state.items).toEqual([]);
  });

  it('creates the bubble when a delta comes without run-start (stream opened mid-run)', () => {
    const bubble = agent(run([{ type: 'text-delta', folder, runId: 'r9', delta: 'x' }]).items[0]);
    expect(bubble.runId).toBe('r9');
    expect(bubbleText(bubble)).toBe('x');
  });

  it('keeps tool calls in order between the text, as chips', () => {
    const bubble = agent(
      run([
        { type: 'text-delta', folder, runId: 'r1', delta: 'Looking. ' },
        { type: 'tool-call', folder, runId: 'r1', name: 'bash', kind: 'command', summary: 'ls -la' },
        { type: 'text-delta', folder, runId: 'r1', delta: 'Done.' },
      ]).items[0],
    );
    expect(bubble.parts.map((p) => p.type)).toEqual(['text', 'tool', 'text']);
    const tool = bubble.parts[1]!;
    if (tool.type !== 'tool') throw new Error('not a tool');
    expect(toolLabel(tool)).toBe('⚙ bash: ls -la');
    expect(toolLabel({ ...tool, summary: '' })).toBe('⚙ bash');
    expect(bubbleText(bubble)).toBe('Looking. Done.');
  });

  it('finalises the streaming bubble with the reply text', () => {
    const bubble = agent(
      run([
        { type: 'run-start', folder, runId: 'r1', inReplyTo: [] },
        { type: 'text-delta', folder, runId: 'r1', delta: 'Mock rep' },
        { type: 'reply', folder, text: 'Mock reply to: hi', inReplyTo: ['m1'], chat: 'main' },
        { type: 'run-end', folder, runId: 'r1', status: 'succeeded' },
      ]).items[0],
    );
    expect(bubble.streaming).toBe(false);
    expect(bubble.status).toBe('replied');
    expect(bubbleText(bubble)).toBe('Mock reply to: hi');
  });

  it('joins the parts of a long reply into one bubble', () => {
    const state = run([
      { type: 'run-start', folder, runId: 'r1', inReplyTo: [] },
      {
        type: 'reply',
        folder,
        text: 'first half, ',
        inReplyTo: [],
        chat: 'main',
        part: { index: 1, count: 2 },
      },
      {
        type: 'reply',
        folder,
        text: 'second half',
        inReplyTo: [],
        chat: 'main',
        part: { index: 2, count: 2 },
      },
    ]);
    expect(state.items).toHaveLength(1);
    expect(bubbleText(agent(state.items[0]))).toBe('first half, second half');
  });

  it('gives a reply after run-end to that run, and a reply with no run its own bubble', () => {
    const late = run([
      { type: 'text-delta', folder, runId: 'r1', delta: 'a' },
      { type: 'run-end', folder, runId: 'r1', status: 'succeeded' },
      { type: 'reply', folder, text: 'answer', inReplyTo: [], chat: 'main' },
    ]);
    expect(late.items).toHaveLength(1);
    expect(bubbleText(agent(late.items[0]))).toBe('answer');
    const alone = run([{ type: 'reply', folder, text: 'hello', inReplyTo: [], chat: 'main' }]);
    expect(agent(alone.items[0]).streaming).toBe(false);
    expect(bubbleText(agent(alone.items[0]))).toBe('hello');
  });

  it('shows an error as its own item and stops what was streaming', () => {
    const state = run([
      { type: 'text-delta', folder, runId: 'r1', delta: 'partial' },
      { type: 'error', folder, message: 'the turn took longer than 15 min', inReplyTo: [] },
    ]);
    expect(agent(state.items[0]).streaming).toBe(false);
    expect(agent(state.items[0]).status).toBe('failed');
    expect(state.items[1]).toMatchObject({ kind: 'error', message: 'the turn took longer than 15 min' });
  });

  it('ends a run without a reply (a task run) with its status, and ignores run-end of unknown runs', () => {
    const state = run([
      { type: 'text-delta', folder, runId: 't1', delta: 'report' },
      { type: 'run-end', folder, runId: 't1', status: 'failed', taskId: 'task' },
    ]);
    expect(agent(state.items[0])).toMatchObject({ streaming: false, status: 'failed' });
    expect(applyEvent(state, { type: 'run-end', folder, runId: 'other', status: 'succeeded' })).toBe(state);
  });

  it('keeps separate runs in separate bubbles and ignores events that are not about the conversation', () => {
    const state = run([
      { type: 'text-delta', folder, runId: 'r1', delta: 'one' },
      { type: 'text-delta', folder, runId: 'r2', delta: 'two' },
      { type: 'text-delta', folder, runId: 'r1', delta: '!' },
      { type: 'queue', folder, queued: 1, running: 1 },
    ]);
    expect(state.items.map((i) => bubbleText(agent(i)))).toEqual(['one!', 'two']);
  });

  it('adds the sent message once', () => {
    const once = addSentMessage(initialConversation(), 'id1', 'hello', 5);
    expect(addSentMessage(once, 'id1', 'hello', 5)).toBe(once);
    expect(once.items[0]).toMatchObject({
      kind: 'message',
      fromAgent: false,
      senderName: 'you',
      text: 'hello',
    });
  });
});
