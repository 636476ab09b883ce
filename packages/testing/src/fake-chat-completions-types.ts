/**
 * A loopback fake of the OpenAI Chat Completions API (`POST /v1/chat/completions`, SSE or JSON), scripted per
 * test. OpenCode talks to it through an `@ai-sdk/openai-compatible` provider whose `baseURL` is the fake's.
 */
import type { FakeScript } from './fake-server-kit.js';
import type { FakeToolResult } from './fake-tool-results.js';

/** What the fake answers to one agent request (a request that offers tools). */
export type FakeChatStep =
  /**
   * A final assistant message, streamed in `deltas` pieces (default 3). `deltaDelayMs` pauses between the
   * pieces (the stream stays open meanwhile); `delayMs` holds the whole answer back.
   */
  | { text: string; deltas?: number; deltaDelayMs?: number; usage?: FakeChatUsage; delayMs?: number }
  /**
   * A shell command through the runtime's `bash` tool (`arguments: {"command": ..., "description": ...}`).
   * The follow-up request (its messages end with the `tool` result of this call) gets `then`, else
   * `{ text }`, else the fallback text. `delayMs`/`usage` apply to the tool-call answer.
   */
  | { command: string; text?: string; then?: FakeChatStep; usage?: FakeChatUsage; delayMs?: number }
  /**
   * An MCP tool call. The function name is the one the request's `tools[]` offers for that server and tool
   * (OpenCode: `<server>_<tool>`, non-alphanumerics as `_`); follow-up as for `command`.
   */
  | {
      mcp: { server: string; tool: string; arguments: Record<string, unknown> };
      text?: string;
      then?: FakeChatStep;
      usage?: FakeChatUsage;
      delayMs?: number;
    }
  /** Any tool by its function name (e.g. `write`, `read`); follow-up as for `command`. */
  | {
      tool: { name: string; arguments: Record<string, unknown> };
      text?: string;
      then?: FakeChatStep;
      usage?: FakeChatUsage;
      delayMs?: number;
    }
  /** An HTTP error (e.g. 500) instead of an answer. `delayMs` holds it back. */
  | { error: { status: number; message: string; type?: string }; delayMs?: number };

/** The `usage` of an answer. Defaults: input 100, output 10, cached 0. */
export interface FakeChatUsage {
  inputTokens: number;
  outputTokens?: number;
  cachedInputTokens?: number;
}

/** One logged request: everything a test may assert on. */
export interface FakeChatRequest {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  /**
   * `agent`: a chat completion that offers tools (consumes script steps); `title`: a title-generation side
   * request; `side`: any other completion without tools (e.g. a summary), answered with `sideText`;
   * `other`: models list, unknown routes, bad bodies.
   */
  kind: 'agent' | 'title' | 'side' | 'other';
  /** The text of the last `user` message (what replies are keyed on). */
  lastUserText: string;
  /** The function names in the request's `tools[]`. */
  tools: string[];
  /** How the fake answered (set once the answer is chosen, before any `delayMs`). */
  answer?: FakeChatAnswer;
}

/** What the fake sent back for one request, and which rule chose it. */
export interface FakeChatAnswer {
  /**
   * `follow-up`: the `then` of an earlier tool call; `keyed`: an `on()` reply; `script`/`fallback`: the
   * script or `fallbackText`; `title`/`side`: automatic side replies; `models`: the model list; `invalid`:
   * 404, unparsable body, or a script function that threw / returned no step.
   */
  source: 'follow-up' | 'keyed' | 'script' | 'fallback' | 'title' | 'side' | 'models' | 'invalid';
  status: number;
  /** The assistant text, for text answers. */
  text?: string;
  /** The tool call, for tool answers. */
  call?: { callId: string; name: string; arguments: string };
  /** The error message, for HTTP errors. */
  error?: string;
}

/** One step for every request, steps in order (then the fallback), or a function of the request. */
export type FakeChatScript = FakeScript<FakeChatStep, FakeChatRequest>;

export interface FakeChatCompletionsServer {
  /** `http://127.0.0.1:<port>/v1`: the `baseURL` of an OpenAI-compatible provider. */
  readonly baseUrl: string;
  readonly port: number;
  readonly requests: readonly FakeChatRequest[];
  /**
   * Replies keyed by prompt: an agent request whose last user text contains `match` gets `step` (checked
   * before the script). A single step answers every match; a list is consumed one per match.
   */
  on(match: string | RegExp, step: FakeChatStep | FakeChatStep[]): void;
  /** Replaces the fallback script (FIFO list, single step or function). */
  script(script: FakeChatScript): void;
  /** The agent requests so far (title and side requests left out). */
  agentRequests(): FakeChatRequest[];
  /** What the runtime sent back (`tool` messages) for each tool call the fake made, in arrival order, each once. */
  toolResults(): FakeToolResult[];
  /**
   * Resolves with the log once at least `count` requests were logged (every path counts); rejects after
   * `timeoutMs` (default 10 s) or on `close()`.
   */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly FakeChatRequest[]>;
  /** Back to the state right after creation: empty log, no keyed replies or pending calls, `options.script`. */
  reset(): void;
  /** Ends open connections (in-flight streams are cut) and stops listening. Idempotent. */
  close(): Promise<void>;
}

export interface FakeChatCompletionsServerOptions {
  script?: FakeChatScript;
  /** Text used when no keyed reply and no script step is left. */
  fallbackText?: string;
  /** The answer to title-generation requests (default `Fake conversation`). */
  titleText?: string;
  /** The answer to other requests without tools, e.g. summaries (default: a fixed summary line). */
  sideText?: string;
  /** Model ids listed by `GET /v1/models` (default `['fake-model']`). */
  models?: string[];
  /** Every request without this bearer token gets a 401, as the real API answers. */
  apiKey?: string;
}
