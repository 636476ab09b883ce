import {
  AGENT_PROVIDER_SPEC_VERSION,
  type AgentSession,
  type SessionOptions,
  type TurnInput,
} from '@nanoclaw/core';
import { createRunLoop, Deferred, type EmitEvent, LoopTurn } from '@nanoclaw/provider-utils';
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

/** A scripted turn: its abort ends the script; `played` resolves once its `turn-end` is out. */
class MockTurn extends LoopTurn {
  readonly abort = new AbortController();
  readonly played = new Deferred<void>();
}

/** A scripted session: turns play the provider's script, one at a time, in order. */
export function createMockSession(init: MockSessionInit): AgentSession {
  const { continuation, conversation, options, record } = init;
  const env = options.env ?? process.env;
  const pool = createMcpPool({ servers: options.mcpServers ?? {}, env, cwd: options.cwd });

  const playTurn = async (current: MockTurn, input: TurnInput, emit: EmitEvent) => {
    const turn = ++conversation.turns;
    const turnId = `turn-${turn}`;
    const { signal } = current.abort;
    try {
      emit({ type: 'turn-start', turnId, input });
      const ctx = { turn, turnId, continuation, env, options, signal };
      const { status, text } = await runTurn({ ...ctx, input, emit, resolveStep: init.resolveStep, pool });
      const ended = signal.aborted ? 'interrupted' : status;
      emit({ type: 'turn-end', turnId, status: ended, text });
      current.finish(ended);
    } finally {
      current.finish('failed');
      current.played.resolve();
    }
  };

  const loop = createRunLoop<MockTurn>({
    name: 'mock',
    closedError: () => new Error('mock session is closed'),
    createTurn: () => new MockTurn(),
    runTurn: playTurn,
    interruptTurn: (turn) => turn.abort.abort(),
    runCompaction: async (reason, emit) => {
      emit({ type: 'compaction-end', ok: true, reason });
    },
    stopRuntime: async () => {
      // Closing ends the scripted turn too: it stops at its next step.
      const turn = loop.turn;
      turn?.abort.abort();
      await turn?.played.promise;
      await pool.close();
    },
  });

  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    provider: init.provider,
    continuation,
    get busy() {
      return loop.busy;
    },
    prompt(input, promptOptions) {
      if (loop.closed) throw new Error('mock session is closed');
      record({ type: 'prompt', continuation, input });
      return loop.prompt(input, promptOptions);
    },
    push(input) {
      const accepted = loop.push(input);
      record({ type: 'push', continuation, input, accepted });
      return accepted;
    },
    async interrupt() {
      record({ type: 'interrupt', continuation });
      await loop.interrupt();
    },
    async compact() {
      record({ type: 'compact', continuation });
      loop.compact();
    },
    async close() {
      record({ type: 'close', continuation });
      await loop.close();
    },
  };
}
