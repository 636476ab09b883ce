import type { HostEvent } from '../host-api.js';

export type ReplyOutcome =
  | { kind: 'reply'; texts: string[] }
  | { kind: 'error'; message: string }
  /** The run finished (successfully) without sending anything. */
  | { kind: 'no-reply' }
  /** The signal passed to `wait` fired first. */
  | { kind: 'aborted' };

export interface WaitHandlers {
  /** Streamed text of a run answering the message. */
  onDelta?: (delta: string) => void;
  /** Each reply to the message, as it arrives (a long reply in parts: each part, with `part` set). */
  onReply?: (text: string, part?: { index: number; count: number }) => void;
  /** A try of a run answering the message failed and the run starts again: what streamed so far is void. */
  onRetry?: (retry: RunRetry) => void;
  signal?: AbortSignal;
}

export interface RunRetry {
  message: string;
  retryInMs: number;
}

/** `note: this try failed (the sandbox died); trying again in 5 s` */
export function describeRetry(retry: RunRetry): string {
  return `note: this try failed (${retry.message}); trying again in ${Math.max(1, Math.round(retry.retryInMs / 1000))} s`;
}

export interface ReplyWatcher {
  /** Feed every event of the group's stream here, from before the message is posted. */
  handle(event: HostEvent): void;
  /**
   * Keep events back until the next `wait` (call it before posting). A new watcher starts holding; once a
   * wait settles, events not held go straight to `onOther` listeners.
   */
  hold(): void;
  /** Resolves with the replies to `messageId`; events held before this call count too. */
  wait(messageId: string, handlers?: WaitHandlers): Promise<ReplyOutcome>;
  /** Events not about the message being waited for (for `chat` to show). */
  onOther(listener: (event: HostEvent) => void): void;
}

export interface ReplyWatcherOptions {
  /** After a run ends without a reply, how long to wait for one still in the outbox. Default 10 s. */
  lateReplyGraceMs?: number;
  /** Start holding events back (right when a message is about to be posted). Default true. */
  holding?: boolean;
}

interface Waiting {
  messageId: string;
  handlers: WaitHandlers;
  runs: Set<string>;
  activeRuns: Set<string>;
  texts: string[];
  /** A reply came in part and its later parts are still to come. */
  partial: boolean;
  resolve: (outcome: ReplyOutcome) => void;
  grace?: NodeJS.Timeout;
}

/**
 * Follows a group's events for the answer to one posted message: the `reply` events whose `inReplyTo` holds
 * its id. While a run answering it is under way, replies are collected until it ends (an agent may send
 * several); otherwise the first reply settles it. A long reply comes in parts: it settles with the last part,
 * the parts joined into one text. An `error` for the message, or a failed run, settles it as an error.
 */
export function createReplyWatcher(options: ReplyWatcherOptions = {}): ReplyWatcher {
  const graceMs = options.lateReplyGraceMs ?? 10_000;
  let backlog: HostEvent[] = [];
  let holding = options.holding ?? true;
  let waiting: Waiting | undefined;
  const others: Array<(event: HostEvent) => void> = [];

  function settle(outcome: ReplyOutcome): void {
    const current = waiting;
    if (!current) return;
    clearTimeout(current.grace);
    waiting = undefined;
    holding = false;
    current.resolve(outcome);
  }

  function about(event: HostEvent, current: Waiting): boolean {
    if ('inReplyTo' in event) return event.inReplyTo.includes(current.messageId);
    // Sandbox, queue, task and approval events are about no one message.
    return 'runId' in event && current.runs.has(event.runId);
  }

  function apply(event: HostEvent, current: Waiting): void {
    switch (event.type) {
      case 'run-start':
        current.runs.add(event.runId);
        current.activeRuns.add(event.runId);
        clearTimeout(current.grace);
        return;
      case 'text-delta':
        current.handlers.onDelta?.(event.delta);
        return;
      case 'reply':
        addReply(current, event);
        if (current.activeRuns.size === 0 && !current.partial)
          settle({ kind: 'reply', texts: current.texts });
        return;
      case 'error':
        settle({ kind: 'error', message: event.message });
        return;
      case 'run-retry':
        // The run is still under way: it starts again with the same id (or an `error` ends it).
        current.handlers.onRetry?.({ message: event.message, retryInMs: event.retryInMs });
        return;
      case 'run-end':
        current.activeRuns.delete(event.runId);
        if (current.activeRuns.size > 0) return;
        if (current.partial) return;
        if (current.texts.length > 0) settle({ kind: 'reply', texts: current.texts });
        else if (event.status === 'failed') settle({ kind: 'error', message: 'the agent run failed' });
        else current.grace = setTimeout(() => settle({ kind: 'no-reply' }), graceMs);
        return;
    }
  }

  function dispatch(event: HostEvent): void {
    if (waiting && about(event, waiting)) apply(event, waiting);
    else for (const listener of others) listener(event);
  }

  return {
    handle(event) {
      if (waiting || !holding) dispatch(event);
      else backlog.push(event);
    },
    hold() {
      holding = true;
    },
    wait(messageId, handlers = {}) {
      return new Promise<ReplyOutcome>((resolve) => {
        settle({ kind: 'aborted' });
        if (handlers.signal?.aborted) {
          resolve({ kind: 'aborted' });
          return;
        }
        const entry: Waiting = {
          messageId,
          handlers,
          runs: new Set(),
          activeRuns: new Set(),
          texts: [],
          partial: false,
          resolve,
        };
        waiting = entry;
        const onAbort = () => {
          if (waiting === entry) settle({ kind: 'aborted' });
        };
        handlers.signal?.addEventListener('abort', onAbort, { once: true });
        const earlier = backlog;
        backlog = [];
        for (const event of earlier) dispatch(event);
      });
    },
    onOther(listener) {
      others.push(listener);
    },
  };
}

/** The parts of a long reply are one text (joined where they were cut); each reply or part goes to `onReply`. */
function addReply(current: Waiting, event: Extract<HostEvent, { type: 'reply' }>): void {
  const { part } = event;
  const last = current.texts.length - 1;
  if (part && part.index > 1 && current.partial && last >= 0) current.texts[last] += `\n${event.text}`;
  else current.texts.push(event.text);
  current.partial = part !== undefined && part.index < part.count;
  current.handlers.onReply?.(event.text, part);
}
