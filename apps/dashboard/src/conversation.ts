/**
 * The group page's conversation as a pure reducer: stored messages first, then the live events of the group's
 * stream. A run's `text-delta`s grow its agent bubble (shown as streaming), `tool-call`s become chips inside
 * it in the order they came, `reply` finalises the bubble with the reply's text (parts of a long reply are
 * joined), `error` is its own item and ends whatever was streaming, `run-end` ends the run's bubble. A
 * `run-retry` empties the run's bubble and says when it tries again (the run streams anew under the same id).
 */
import type { HostEvent, StoredMessage } from './types.js';

export type BubblePart =
  | { type: 'text'; text: string }
  | { type: 'tool'; name: string; kind: string; summary: string };

export type ConversationItem =
  | { kind: 'message'; key: string; fromAgent: boolean; senderName: string; text: string; at: number }
  | {
      kind: 'agent';
      key: string;
      runId: string | null;
      /** What streamed in: text and tool calls, in order. */
      parts: BubblePart[];
      /** The final reply's text, once a `reply` came. */
      reply: string | null;
      streaming: boolean;
      status: 'streaming' | 'retrying' | 'replied' | 'succeeded' | 'failed';
      /** Why the last try failed, while the run waits to start again. */
      retry: { message: string; retryInMs: number } | null;
    }
  | { kind: 'error'; key: string; message: string };

export interface Conversation {
  items: ConversationItem[];
  /** Counter for keys of items without an id of their own. */
  seq: number;
}

export function initialConversation(messages: readonly StoredMessage[] = []): Conversation {
  return {
    items: messages.map((m) => ({
      kind: 'message',
      key: `m:${m.id}`,
      fromAgent: m.fromAgent,
      senderName: m.senderName || m.sender,
      text: m.text,
      at: m.at,
    })),
    seq: 0,
  };
}

/** The user's own message, shown at once after the host accepted it. */
export function addSentMessage(state: Conversation, id: string, text: string, at: number): Conversation {
  if (state.items.some((item) => item.key === `m:${id}`)) return state;
  const item: ConversationItem = {
    kind: 'message',
    key: `m:${id}`,
    fromAgent: false,
    senderName: 'you',
    text,
    at,
  };
  return { ...state, items: [...state.items, item] };
}

type AgentItem = Extract<ConversationItem, { kind: 'agent' }>;

function newBubble(state: Conversation, runId: string | null): AgentItem {
  return {
    kind: 'agent',
    key: runId ? `r:${runId}` : `a:${state.seq}`,
    runId,
    parts: [],
    reply: null,
    streaming: true,
    status: 'streaming',
    retry: null,
  };
}

/** The run (again) under way: a notice of a failed try goes once it streams anew. */
function resumed(b: AgentItem): AgentItem {
  return b.retry === null ? b : { ...b, retry: null, status: 'streaming' };
}

/** Index of the run's bubble, or of the newest bubble still streaming when `runId` is null. */
function findBubble(items: readonly ConversationItem[], runId: string | null): number {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.kind !== 'agent') continue;
    if (runId !== null ? item.runId === runId : item.streaming) return i;
  }
  return -1;
}

/** Applies `change` to the run's bubble, creating it (streaming) when the run has none yet. */
function withBubble(
  state: Conversation,
  runId: string | null,
  change: (b: AgentItem) => AgentItem,
): Conversation {
  const index = findBubble(state.items, runId);
  const items = [...state.items];
  if (index === -1) items.push(change(newBubble(state, runId)));
  else items[index] = change(items[index] as AgentItem);
  return { items, seq: state.seq + 1 };
}

function appendText(parts: readonly BubblePart[], delta: string): BubblePart[] {
  const last = parts[parts.length - 1];
  if (last?.type === 'text') return [...parts.slice(0, -1), { type: 'text', text: last.text + delta }];
  return [...parts, { type: 'text', text: delta }];
}

export function applyEvent(state: Conversation, event: HostEvent): Conversation {
  switch (event.type) {
    case 'run-start':
      return withBubble(state, event.runId, resumed);
    case 'text-delta':
      return withBubble(state, event.runId, (b) => ({
        ...resumed(b),
        parts: appendText(b.parts, event.delta),
      }));
    case 'tool-call': {
      const tool: BubblePart = { type: 'tool', name: event.name, kind: event.kind, summary: event.summary };
      return withBubble(state, event.runId, (b) => ({ ...resumed(b), parts: [...b.parts, tool] }));
    }
    case 'run-retry': {
      const retry = { message: event.message, retryInMs: event.retryInMs };
      if (findBubble(state.items, event.runId) === -1) return state;
      // What the failed try streamed is void; a reply it already sent (an earlier turn of the run) stays.
      return withBubble(state, event.runId, (b) => ({
        ...b,
        parts: b.reply === null ? [] : b.parts,
        streaming: true,
        status: 'retrying',
        retry,
      }));
    }
    case 'reply':
      return applyReply(state, event);
    case 'error': {
      const ended = state.items.map((item) =>
        item.kind === 'agent' && item.streaming
          ? { ...item, streaming: false, status: 'failed' as const }
          : item,
      );
      const error: ConversationItem = { kind: 'error', key: `e:${state.seq}`, message: event.message };
      return { items: [...ended, error], seq: state.seq + 1 };
    }
    case 'run-end':
      if (findBubble(state.items, event.runId) === -1) return state;
      return withBubble(state, event.runId, (b) => ({
        ...b,
        streaming: false,
        status: b.reply !== null ? 'replied' : event.status,
      }));
    default:
      return state;
  }
}

function applyReply(state: Conversation, event: Extract<HostEvent, { type: 'reply' }>): Conversation {
  const continuing = event.part !== undefined && event.part.index > 1;
  if (continuing) {
    const last = state.items[state.items.length - 1];
    if (last?.kind === 'agent' && last.reply !== null) {
      const items = [...state.items.slice(0, -1), { ...last, reply: last.reply + event.text }];
      return { items, seq: state.seq + 1 };
    }
  }
  const finish = (b: AgentItem): AgentItem => ({
    ...b,
    reply: event.text,
    streaming: false,
    status: 'replied',
  });
  // The run may have ended before its reply came: the newest bubble without a reply takes it.
  const last = state.items[state.items.length - 1];
  if (findBubble(state.items, null) === -1 && last?.kind === 'agent' && last.reply === null) {
    return { items: [...state.items.slice(0, -1), finish(last)], seq: state.seq + 1 };
  }
  return withBubble(state, null, finish);
}

/** The text a bubble shows: the final reply once there is one, else what streamed in. */
export function bubbleText(item: AgentItem): string {
  if (item.reply !== null) return item.reply;
  return item.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** `⚙ bash: ls -la` */
export function toolLabel(part: Extract<BubblePart, { type: 'tool' }>): string {
  return part.summary ? `⚙ ${part.name}: ${part.summary}` : `⚙ ${part.name}`;
}
