/**
 * A loopback fake of the OpenAI Responses API (`POST /v1/responses`, SSE), scripted per test. Codex's
 * app-server talks to it through a custom model provider (`wire_api = "responses"`).
 */
import type { FakeScript } from './fake-server-kit.js';
import type { FakeToolResult } from './fake-tool-results.js';

/** What the fake answers to one agent request. */
export type FakeResponsesStep =
  /**
   * A final assistant message, streamed in `deltas` pieces (default 3). Addition: `deltaDelayMs` pauses
   * between the pieces (the stream stays open meanwhile: interrupt and disconnect tests).
   */
  | { text: string; deltas?: number; deltaDelayMs?: number; usage?: FakeUsage; delayMs?: number }
  /**
   * A shell command through Codex's `exec_command` tool (`arguments: {"cmd": exec}`); see
   * `FakeResponsesToolFollowUp`. `yieldTimeMs` (Codex: 250-30000, default 10000) is how long Codex waits for
   * the command before it answers with what came so far and a session id.
   */
  | ({
      exec: string;
      yieldTimeMs?: number;
    } & FakeResponsesToolFollowUp)
  /**
   * A file edit through Codex's `apply_patch`: `applyPatch` is the whole patch (`*** Begin Patch` …
   * `*** End Patch`). Codex 0.169 offers no `apply_patch` tool to a model it has no metadata for (any model of a
   * custom provider): its instructions tell the model to run `apply_patch` as a command, and `exec_command`
   * intercepts `apply_patch <<'EOF' … EOF` and applies the patch itself (a `fileChange` item, not a process).
   * That is what this step sends (a freeform `custom_tool_call` named `apply_patch` gets
   * `unsupported custom tool call: apply_patch` back from such a Codex). Follow-up as for `exec`.
   */
  | ({
      applyPatch: string;
    } & FakeResponsesToolFollowUp)
  /** An MCP tool call in Codex's namespace form (`mcp__<server>` + bare tool name); follow-up as for `exec`. */
  | ({
      mcp: { server: string; tool: string; arguments: Record<string, unknown> };
    } & FakeResponsesToolFollowUp)
  /** An HTTP error (e.g. 500) instead of a stream. */
  | { error: { status: number; message: string; type?: string } };

/**
 * How the follow-up of a tool step (the request whose input ends with the call's output) is answered: `then`,
 * else `{ text }`, else the fallback text. `delayMs`/`usage` apply to the tool-call response.
 */
export interface FakeResponsesToolFollowUp {
  text?: string;
  then?: FakeResponsesStep;
  usage?: FakeUsage;
  delayMs?: number;
}

/**
 * `response.completed.response.usage`. Defaults: input 100, output 10, cached 0; `total_tokens` =
 * input + output, `reasoning_tokens` 0.
 */
export interface FakeUsage {
  inputTokens: number;
  outputTokens?: number;
  cachedInputTokens?: number;
}

/** One logged request: everything a test may assert on. */
export interface FakeResponsesRequest {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  /** `turn` for agent requests, `compaction` for Codex's compaction request (answered automatically). */
  kind: 'turn' | 'compaction' | 'other';
  /** The last user text of the request's input (what replies are keyed on). */
  lastUserText: string;
  /** Addition: how the fake answered (set once the answer is chosen, before any `delayMs`). */
  answer?: FakeResponsesAnswer;
}

/** Addition: what the fake sent back for one request, and which rule chose it. */
export interface FakeResponsesAnswer {
  /**
   * `compaction`: the automatic summary; `follow-up`: the `then` of an earlier tool call; `keyed`: an `on()`
   * reply; `script`/`fallback`: the script or `fallbackText`; `invalid`: 401, 404, unparsable body or a script
   * function that threw / returned no step.
   */
  source: 'compaction' | 'follow-up' | 'keyed' | 'script' | 'fallback' | 'invalid';
  status: number;
  /** The assistant text, for text answers. */
  text?: string;
  /** The tool call, for `exec`/`applyPatch`/`mcp` answers. */
  call?: { callId: string; name: string; namespace?: string; arguments: string };
  /** The error message, for HTTP errors. */
  error?: string;
}

/** One step for every request, steps in order (then the fallback), or a function of the request. */
export type FakeResponsesScript = FakeScript<FakeResponsesStep, FakeResponsesRequest>;

export interface FakeResponsesServer {
  /** `http://127.0.0.1:<port>/v1` — the `base_url` of a Codex model provider. */
  readonly baseUrl: string;
  readonly requests: readonly FakeResponsesRequest[];
  /** Replies keyed by prompt: a request whose last user text contains `match` gets `step` (checked first). */
  on(match: string | RegExp, step: FakeResponsesStep | FakeResponsesStep[]): void;
  /** Replaces the fallback script (FIFO list, single step or function). */
  script(script: FakeResponsesScript): void;
  /** Ends open connections (in-flight streams are cut) and stops listening. Idempotent. */
  close(): Promise<void>;
  /** Addition: the listening port. */
  readonly port: number;
  /**
   * Addition: resolves with the log once at least `count` requests were logged (every path counts); rejects
   * after `timeoutMs` (default 10 s) or on `close()`.
   */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly FakeResponsesRequest[]>;
  /**
   * Addition: what Codex sent back for each tool call the fake made (`function_call_output` /
   * `custom_tool_call_output`), in arrival order, each once; for commands with the exit code and output Codex
   * reported.
   */
  toolResults(): FakeResponsesToolResult[];
  /**
   * Addition: back to the state right after creation: empties the log (in place), drops `on()` replies
   * and pending tool calls, restores the `options.script`. For a server shared across tests.
   */
  reset(): void;
}

/** A tool result as Codex reports it to the model; `output` is the whole text. */
export interface FakeResponsesToolResult extends FakeToolResult {
  /**
   * The exit code in the output (`Process exited with code N`, `Exit code: N` for an intercepted
   * `apply_patch`); undefined when the output names none (e.g. the process could not start, or still runs).
   */
  exitCode?: number;
  /** The text after the output's last `Output:` line (the command's output); the whole text when it has none. */
  commandOutput: string;
}

export interface FakeResponsesServerOptions {
  script?: FakeResponsesScript;
  /** The summary text returned to compaction requests. */
  compactionSummary?: string;
  /** Text used when no keyed reply and no script step is left. */
  fallbackText?: string;
  /** Addition: usage reported for compaction requests (default as for steps). */
  compactionUsage?: FakeUsage;
  /** Every request without this bearer token gets a 401, as the real API answers. */
  apiKey?: string;
}
