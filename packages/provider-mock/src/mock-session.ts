import {
  AGENT_PROVIDER_SPEC_VERSION,
  type AgentEvent,
  type AgentSession,
  type SessionOptions,
  type TurnInput,
} from '@nanoclaw/core';
import { createEventChannel, type EventChannel } from '@nanoclaw/provider-utils';
import { createMcpPool } from './mcp-pool.js';
import { runTurn } from './run-turn.js';
import type { MockCall, MockStep, MockTurnContext } from './types.js';

/** What the provider keeps per continuation, so a resumed session continues its turn numbering. */
export interface MockConversation {
  turns: number;
}

export interface MockSessionInit {
  provider: string;
  continuation: string;
  conversation: MockConversation;
  options: SessionOptions;
  resolveStep: (input: TurnInput, ctx: MockTurnContext) => Promise<MockStep>;
  record: (call: MockCall) => void;
}

interface ActiveRun {
  channel: EventChannel<AgentEvent>;
  queue: TurnInput[];
  cancelled: boolean;
  turn?: { abort: AbortController; done: Promise<void> };
}

/** A scripted session: turns play the provider's script, one at a time, in order. */
export function createMockSession(init: MockSessionInit): AgentSession {
  const { continuation, conversation, options, record } = init;
  const env = options.env ?? process.env;
  const pool = createMcpPool({ servers: options.mcpServers ?? {}, env, cwd: options.cwd });
  let run: ActiveRun | undefined;
  let compactionRequested = false;
  let closed = false;

  const cancelRun = (current: ActiveRun) => {
    current.cancelled = true;
    current.queue.length = 0;
    current.turn?.abort.abort();
  };

  const playTurn = async (current: ActiveRun, input: TurnInput) => {
    const turn = ++conversation.turns;
    const turnId = `turn-${turn}`;
    const abort = new AbortController();
    let finish = () => {};
    current.turn = { abort, done: new Promise<void>((resolve) => (finish = resolve)) };
    const emit = (event: AgentEvent) => current.channel.push(event);
    try {
      emit({ type: 'turn-start', turnId, input });
      const ctx = { turn, turnId, continuation, env, options, signal: abort.signal };
      const { status, text } = await runTurn({ ...ctx, input, emit, resolveStep: init.resolveStep, pool });
      emit({ type: 'turn-end', turnId, status: abort.signal.aborted ? 'interrupted' : status, text });
    } finally {
      current.turn = undefined;
      finish();
    }
  };

  const drive = async (current: ActiveRun) => {
    try {
      if (compactionRequested) {
        compactionRequested = false;
        current.channel.push({ type: 'compaction-end', ok: true, reason: 'requested' });
      }
      for (let input = current.queue.shift(); input; input = current.queue.shift()) {
        await playTurn(current, input);
      }
      run = undefined;
      current.channel.end();
    } catch (error) {
      run = undefined;
      current.channel.end(error);
    }
  };

  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    provider: init.provider,
    continuation,
    get busy() {
      return run !== undefined;
    },
    prompt(input, promptOptions) {
      if (closed) throw new Error('mock session is closed');
      if (run) throw new Error('a run is already active; push() follow-up input instead');
      record({ type: 'prompt', continuation, input });
      const current: ActiveRun = {
        channel: createEventChannel<AgentEvent>(() => cancelRun(current)),
        queue: [input],
        cancelled: false,
      };
      run = current;
      promptOptions?.signal?.addEventListener('abort', () => cancelRun(current), { once: true });
      if (promptOptions?.signal?.aborted) cancelRun(current);
      void drive(current);
      return current.channel;
    },
    push(input) {
      const accepted = run !== undefined && !run.cancelled;
      record({ type: 'push', continuation, input, accepted });
      if (accepted) run?.queue.push(input);
      return accepted;
    },
    async interrupt() {
      record({ type: 'interrupt', continuation });
      const turn = run?.turn;
      if (!turn) return;
      turn.abort.abort();
      await turn.done;
    },
    async compact() {
      record({ type: 'compact', continuation });
      compactionRequested = true;
    },
    async close() {
      record({ type: 'close', continuation });
      if (closed) return;
      closed = true;
      const current = run;
      if (current) {
        cancelRun(current);
        await current.turn?.done;
      }
      await pool.close();
    },
  };
}
