import { z } from 'zod';
import type { McpServerConfig } from './container-config.js';
import type { ProviderEgress } from './egress.js';
import type { Logger } from './logger.js';
import { attachmentSchema } from './messages.js';

export const AGENT_PROVIDER_SPEC_VERSION = 'v1' as const;

/** What the agent is asked to do in one turn. */
export const turnInputSchema = z.strictObject({
  text: z.string().max(200_000),
  attachments: z.array(attachmentSchema).max(32).optional(),
});
export type TurnInput = z.infer<typeof turnInputSchema>;

export const turnStatusSchema = z.enum(['completed', 'interrupted', 'failed']);
export type TurnStatus = z.infer<typeof turnStatusSchema>;

const turnId = z.string().min(1);

/**
 * Why a run failed: the `code` of an `error` event, the same for the same failure in every provider.
 * - `model-error`: the runtime or its model reported the turn failed (its message says why).
 * - `request-failed`: a request to the runtime (its JSON-RPC or HTTP server) failed.
 * - `runtime-exited`: the runtime's process exited under the turn.
 * - `session-invalid`: the continuation names a conversation the runtime no longer has.
 * - `timeout`: the run took longer than the runner allows.
 * - `provider-error`: the provider threw instead of reporting the failure as an event.
 * - `runner-stopped` / `runner-exited` / `runner-unresponsive` / `sandbox-closed` / `run-start-failed`: the
 *   runner or its sandbox ended (or never started) the run.
 * - `mock-directive` / `mock-script-exhausted`: the mock provider's scripted failures.
 */
export const providerErrorCodeSchema = z.enum([
  'model-error',
  'request-failed',
  'runtime-exited',
  'session-invalid',
  'timeout',
  'provider-error',
  'runner-stopped',
  'runner-exited',
  'runner-unresponsive',
  'sandbox-closed',
  'run-start-failed',
  'mock-directive',
  'mock-script-exhausted',
]);
export type ProviderErrorCode = z.infer<typeof providerErrorCodeSchema>;

/**
 * Everything a session streams. Names follow `<noun>-<verb>`. Events cross the host↔runner channel, so each
 * has a schema; `type` is the discriminator.
 */
export const agentEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('turn-start'), turnId, input: turnInputSchema }),
  z.strictObject({ type: z.literal('text-delta'), turnId, delta: z.string() }),
  z.strictObject({
    type: z.literal('tool-call'),
    turnId,
    callId: z.string(),
    /** `command` = a shell command the runtime ran; `mcp` = an MCP tool; `builtin` = the runtime's own tool. */
    kind: z.enum(['command', 'mcp', 'builtin']),
    name: z.string(),
    input: z.unknown(),
  }),
  z.strictObject({
    type: z.literal('tool-result'),
    turnId,
    callId: z.string(),
    name: z.string(),
    output: z.string(),
    isError: z.boolean(),
  }),
  z.strictObject({
    type: z.literal('usage'),
    turnId,
    /** Tokens of the last model request(s) of this turn. */
    inputTokens: z.number().int().nonnegative(),
    cachedInputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    /** Cumulative input tokens of the session as the runtime reports them, when it does. */
    totalInputTokens: z.number().int().nonnegative().optional(),
  }),
  z.strictObject({
    type: z.literal('compaction-end'),
    ok: z.boolean(),
    /** Why it ran: the provider's threshold, or an explicit `compact()`. */
    reason: z.enum(['threshold', 'requested', 'runtime']),
    error: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('error'),
    turnId: turnId.optional(),
    message: z.string(),
    /** Machine-readable cause (see `providerErrorCodeSchema`). */
    code: providerErrorCodeSchema,
    retryable: z.boolean(),
  }),
  z.strictObject({
    type: z.literal('turn-end'),
    turnId,
    status: turnStatusSchema,
    /** The agent's final text of the turn ('' when it said nothing). */
    text: z.string(),
  }),
]);
export type AgentEvent = z.infer<typeof agentEventSchema>;
export type AgentEventType = AgentEvent['type'];

export interface SessionOptions {
  /** Working directory inside the sandbox (the group folder). */
  cwd: string;
  /** The provider's resume token from an earlier session; absent = a fresh session. */
  continuation?: string;
  model?: string;
  reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
  /** Replaces the runtime's base instructions where it allows, else is prepended to the first turn. */
  instructions?: string;
  mcpServers?: Record<string, McpServerConfig>;
  /** Environment for the runtime's process; built from allowlists by the caller, never `process.env`. */
  env?: Record<string, string>;
  logger?: Logger;
}

/**
 * One conversation with an agent runtime. A run starts with `prompt()`: its stream yields the events of that
 * turn and of every input `push()`ed while it is active (each as a further turn, in order), and ends when the
 * session is idle again.
 */
export interface AgentSession {
  readonly specificationVersion: typeof AGENT_PROVIDER_SPEC_VERSION;
  readonly provider: string;
  /** The resume token, known once the runtime assigned one. Store it per session and per provider. */
  readonly continuation: string | undefined;
  /** True while a run is streaming. */
  readonly busy: boolean;
  prompt(input: TurnInput, options?: { signal?: AbortSignal }): AsyncIterable<AgentEvent>;
  /** Hands follow-up input to the active run (delivered as a next turn). Returns false when idle. */
  push(input: TurnInput): boolean;
  /** Stops the current turn; its `turn-end` has status `interrupted`. Queued follow-ups still run. */
  interrupt(): Promise<void>;
  /** Compacts the conversation between turns; emits `compaction-end` on the next run's stream. */
  compact(): Promise<void>;
  /** Ends the runtime process and frees everything. Idempotent. */
  close(): Promise<void>;
}

/** An agent runtime: Claude Agent SDK, Codex app-server, OpenCode, a mock. */
export interface AgentProvider {
  readonly specificationVersion: typeof AGENT_PROVIDER_SPEC_VERSION;
  readonly id: string;
  /** Starts a fresh session, or resumes `options.continuation`. */
  startSession(options: SessionOptions): Promise<AgentSession>;
  /** True when the error means the stored continuation is gone and a fresh session should be started. */
  isSessionInvalid(error: unknown): boolean;
}

/** A runtime's native places for memory and skills, relative to its home dir (see `ProviderHostContribution`). */
export interface AgentContextPlaces {
  /** The user-level instructions file, e.g. `AGENTS.md` in CODEX_HOME, `CLAUDE.md` in `~/.claude`. */
  readonly memoryFile: string;
  /** The user-level skills folder, e.g. `skills`: one `<name>/SKILL.md` folder per skill. */
  readonly skillsDir: string;
}

/**
 * What a provider contributes on the host side: which env keys it may receive (the secret allowlist), which
 * files its session home needs, and how its model traffic leaves an isolated sandbox (`egress`). The container
 * runner applies it; nothing else crosses the boundary.
 */
export interface ProviderHostContribution {
  readonly specificationVersion: typeof AGENT_PROVIDER_SPEC_VERSION;
  readonly id: string;
  /** Host env keys passed into the sandbox when set, e.g. `OPENAI_API_KEY`. */
  readonly envAllowlist: readonly string[];
  /**
   * The keys of `envAllowlist` that hold a credential (API keys, tokens). In an isolated sandbox each one reaches
   * the runtime only as a route's placeholder (`secretEnvKeys`) or a named exception's `envKeys`; otherwise it is
   * withheld. Every other allowlisted key (models, base URLs, thresholds) is passed in as it is.
   */
  readonly credentialEnvKeys: readonly string[];
  /** Directory under the sandbox's HOME that holds the runtime's state, e.g. `.codex`. */
  readonly homeDir: string;
  /**
   * Where the runtime reads its user-level memory and skills, relative to `homeDir` (the part of HOME kept per
   * session): the host writes the composed memory to `memoryFile` and copies the group's skills into
   * `skillsDir/<name>/` at each sandbox start. Absent: the runtime gets neither (e.g. a mock).
   */
  readonly agentContext?: AgentContextPlaces;
  /**
   * Prepares the per-session home (copies auth, writes config) before a spawn. `egress` is true when the sandbox
   * is isolated and its model traffic goes through the host's egress proxy: credentials that `egress()` routes
   * (the host adds them) must then not be written into the home.
   */
  prepareHome?(options: {
    homePath: string;
    env: Readonly<Record<string, string | undefined>>;
    egress?: boolean;
  }): Promise<void>;
  /**
   * The model traffic of an isolated sandbox for this host env: routes through the host proxy (the host adds
   * the credential, the sandbox gets a placeholder and a loopback base URL), hosts the runtime reaches itself,
   * and the credentials that unavoidably stay readable inside. An allowlisted secret that no route or exception
   * names is not passed into an isolated sandbox at all. Absent: no model traffic (e.g. a mock).
   */
  egress?(env: Readonly<Record<string, string | undefined>>): ProviderEgress;
  /**
   * The runtime's native program on the host (e.g. the pinned `codex` binary), for sandboxes that do not carry
   * it: the container runner mounts its directory read-only and sets `envKey` to the program's path inside, so
   * the provider spawns that file. Absent for a runtime that needs no program of its own.
   */
  resolveBinary?(): { path: string; envKey: string };
  /** A human description of the credentials in use, for `nanoclaw doctor`; null when none are configured. */
  describeCredentials(env: Readonly<Record<string, string | undefined>>): string | null;
}
