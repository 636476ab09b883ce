import type { AgentProvider, ProviderErrorCode, SessionOptions, TurnInput } from '@nanoclaw/core';

/** One MCP tool call a scripted turn makes: `server` is a key of `SessionOptions.mcpServers`. */
export interface MockToolCall {
  server: string;
  tool: string;
  args?: Record<string, unknown>;
}

/** What a tool call returned, handed to a `text` function so the reply can quote it. */
export interface MockToolResult {
  /** `<server>.<tool>` */
  name: string;
  output: string;
  isError: boolean;
}

export interface MockUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  totalInputTokens?: number;
}

/**
 * One scripted turn. It runs in this order: wait `delayMs` (interruptible), exit the process when `exitCode`
 * is set, make the `toolCalls`, run the `commands`, stream `text` as `deltas` text-delta events, emit `usage`, then end the turn:
 * `failed` after an `error` event when `error` is set, else `completed`.
 */
export interface MockStep {
  text?: string | ((results: readonly MockToolResult[]) => string);
  /** How many text-delta events the text is split into (default 3, at most one per character). */
  deltas?: number;
  /** A pause between two text deltas (interruptible), so a client sees the reply arrive piece by piece. */
  deltaGapMs?: number;
  toolCalls?: readonly MockToolCall[];
  /**
   * Commands run in the session's cwd and env, after the tool calls: a string with `/bin/sh -c`, an argv array
   * as it is (no shell needed).
   */
  commands?: readonly (string | readonly string[])[];
  delayMs?: number;
  error?: { message: string; code?: ProviderErrorCode; retryable?: boolean };
  usage?: MockUsage;
  /**
   * Exits the process with this code shortly (20 ms) after `turn-start`, so that event can still leave the
   * process: simulates a runtime dying mid-turn.
   */
  exitCode?: number;
}

export interface MockTurnContext {
  /** 1-based number of the turn in this conversation (continues across resumes in this process). */
  turn: number;
  turnId: string;
  continuation: string;
  /** The session's env (`SessionOptions.env`, else `process.env`). */
  env: Readonly<Record<string, string | undefined>>;
  options: SessionOptions;
  /** Aborts when the turn is interrupted. */
  signal: AbortSignal;
}

export type MockReplyFn = (
  input: TurnInput,
  ctx: MockTurnContext,
) => MockStep | string | Promise<MockStep | string>;

/** A fixed reply for every turn, replies/steps consumed in order (one per turn), or a function of the input. */
export type MockReply = string | readonly (string | MockStep)[] | MockReplyFn;

export interface MockProviderOptions {
  /** Provider id (default `mock`). */
  id?: string;
  /** The script; without one, the built-in directive script steers the mock from the input text. */
  reply?: MockReply;
}

/** Everything a mock provider was asked to do, in order. */
export type MockCall =
  | { type: 'session-start'; continuation: string; resumed: boolean; options: SessionOptions }
  | { type: 'prompt'; continuation: string; input: TurnInput }
  | { type: 'push'; continuation: string; input: TurnInput; accepted: boolean }
  | { type: 'interrupt'; continuation: string }
  | { type: 'compact'; continuation: string }
  | { type: 'close'; continuation: string };

export interface MockProvider extends AgentProvider {
  /** Every call, in order; clear it with `calls.length = 0`. */
  readonly calls: MockCall[];
}
