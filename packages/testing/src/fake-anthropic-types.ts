/**
 * A loopback fake of the Anthropic Messages API (`POST /v1/messages`, SSE or JSON), scripted per test. Claude
 * Code (the Claude Agent SDK's CLI) talks to it through `ANTHROPIC_BASE_URL`.
 */
import type { FakeScript } from './fake-server-kit.js';
import type { FakeToolResult } from './fake-tool-results.js';

/** What the fake answers to one agent request. */
export type FakeAnthropicStep =
  /**
   * A final assistant text, streamed in `deltas` pieces (default 3). `deltaDelayMs` pauses between the pieces
   * (the stream stays open meanwhile); `delayMs` holds the whole answer back.
   */
  | { text: string; deltas?: number; deltaDelayMs?: number; usage?: FakeAnthropicUsage; delayMs?: number }
  /**
   * A shell command through Claude Code's `Bash` tool (`input: {command}`); see `FakeAnthropicToolFollowUp`.
   */
  | ({
      command: string;
    } & FakeAnthropicToolFollowUp)
  /** An MCP tool call, named as Claude Code names it: `mcp__<server>__<tool>`; follow-up as for `command`. */
  | ({
      mcp: { server: string; tool: string; arguments: Record<string, unknown> };
    } & FakeAnthropicToolFollowUp)
  /**
   * Claude Code's `Write` tool: creates or replaces `file_path` (absolute) with `content`; follow-up as for
   * `command`.
   */
  | ({
      write: { file_path: string; content: string };
    } & FakeAnthropicToolFollowUp)
  /**
   * Claude Code's `Edit` tool: replaces `old_string` (which must occur once, unless `replace_all`) by
   * `new_string` in `file_path` (absolute; Claude Code refuses a file it has not read or written in this
   * session); follow-up as for `command`.
   */
  | ({
      edit: { file_path: string; old_string: string; new_string: string; replace_all?: boolean };
    } & FakeAnthropicToolFollowUp)
  /** Any other tool by name (e.g. `Read`); follow-up as for `command`. */
  | ({
      tool: { name: string; input: Record<string, unknown> };
    } & FakeAnthropicToolFollowUp)
  /** An HTTP error (e.g. 500) instead of a stream; `type` defaults to `api_error` (5xx) or `invalid_request_error`. */
  | { error: { status: number; message: string; type?: string } };

/**
 * What a tool step has besides its call: an optional `preface` text block before the `tool_use`, and how the
 * follow-up request (the one carrying the call's `tool_result`) is answered: `then`, else `{ text }`, else the
 * fallback text. `delayMs`/`usage` apply to the tool-call answer.
 */
export interface FakeAnthropicToolFollowUp {
  preface?: string;
  text?: string;
  then?: FakeAnthropicStep;
  usage?: FakeAnthropicUsage;
  delayMs?: number;
}

/** Usage of one answer. Defaults: input 100, output 10, cache read 0, cache creation 0. */
export interface FakeAnthropicUsage {
  inputTokens: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
}

/**
 * What a request was: `agent` (a conversation turn with `tools[]`), `compaction` (Claude Code's summary request,
 * answered with `compactionSummary`), `side` (a tool-less request such as a title: answered with `sideText`),
 * `count_tokens`, or `other` (any other path, e.g. `HEAD /`).
 */
export type FakeAnthropicRequestKind = 'agent' | 'compaction' | 'side' | 'count_tokens' | 'other';

/** One logged request: everything a test may assert on. */
export interface FakeAnthropicRequest {
  at: number;
  method: string;
  /** The path without the query string (`/v1/messages`). */
  path: string;
  /** The query string, if any (Claude Code sends `?beta=true`). */
  query: string;
  headers: Record<string, string>;
  /** The parsed JSON body (the raw text when it is not JSON). */
  body: unknown;
  kind: FakeAnthropicRequestKind;
  /**
   * The text of the last user message that has text of its own (`<system-reminder>` blocks and tool results
   * left out): the prompt the request answers. Replies are keyed on it.
   */
  lastUserText: string;
  /** `stream` of the body. */
  stream: boolean;
  /** How the fake answered (set once chosen, before any `delayMs`). */
  answer?: FakeAnthropicAnswer;
}

/** What the fake sent back for one request, and which rule chose it. */
export interface FakeAnthropicAnswer {
  /**
   * `follow-up`: the `then` of an earlier tool call; `keyed`: an `on()` reply; `script`/`fallback`: the script or
   * `fallbackText`; `compaction`/`side`/`count_tokens`/`other`: automatic answers; `invalid`: unparsable body or a
   * script that threw / returned no step.
   */
  source:
    | 'follow-up'
    | 'keyed'
    | 'script'
    | 'fallback'
    | 'compaction'
    | 'side'
    | 'count_tokens'
    | 'other'
    | 'invalid';
  status: number;
  text?: string;
  call?: { id: string; name: string; input: Record<string, unknown> };
  error?: string;
}

/** One step for every request, steps in order (then the fallback), or a function of the request. */
export type FakeAnthropicScript = FakeScript<FakeAnthropicStep, FakeAnthropicRequest>;

export interface FakeAnthropicServer {
  /** `http://127.0.0.1:<port>`: the `ANTHROPIC_BASE_URL` (Claude Code appends `/v1/messages`). */
  readonly baseUrl: string;
  readonly port: number;
  /** Every request, in arrival order (all paths and kinds). */
  readonly requests: readonly FakeAnthropicRequest[];
  /** Agent requests only. */
  agentRequests(): FakeAnthropicRequest[];
  /** Replies keyed by prompt: an agent request whose `lastUserText` contains `match` gets `step` (checked first). */
  on(match: string | RegExp, step: FakeAnthropicStep | FakeAnthropicStep[]): void;
  /** Replaces the fallback script (FIFO list, single step or function). */
  script(script: FakeAnthropicScript): void;
  /** True when any agent request's body contains `text` (e.g. a tool result or an earlier turn). */
  sawText(text: string): boolean;
  /**
   * What Claude Code sent back (`tool_result` blocks) for each tool call the fake made, in arrival order, each
   * once; `isError` is the block's `is_error` (a failing `Bash` command reads `Exit code N\n<output>`).
   */
  toolResults(): FakeToolResult[];
  /** Resolves once at least `count` requests were logged; rejects after `timeoutMs` (default 10 s) or on close. */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly FakeAnthropicRequest[]>;
  /** Empties the log, drops `on()` replies and pending tool calls, restores `options.script`. */
  reset(): void;
  /** Ends open connections (in-flight streams are cut) and stops listening. Idempotent. */
  close(): Promise<void>;
}

export interface FakeAnthropicServerOptions {
  script?: FakeAnthropicScript;
  /** Text used when no keyed reply and no script step is left. */
  fallbackText?: string;
  /** The summary returned to Claude Code's compaction request. */
  compactionSummary?: string;
  /** Usage reported for the compaction request. */
  compactionUsage?: FakeAnthropicUsage;
  /** The answer to tool-less side requests (titles, summaries). */
  sideText?: string;
  /** Every request without this key (`x-api-key` or a bearer token) gets a 401, as the real API answers. */
  apiKey?: string;
}
