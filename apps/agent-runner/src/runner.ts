import {
  type AgentActionResult,
  type AgentEvent,
  type AgentProvider,
  type AgentSession,
  agentActionResultSchema,
  agentActionSchema,
  errorMessage,
  HostToRunner,
  type Logger,
  RUNNER_PROTOCOL_VERSION,
  RunnerToHost,
  runPushParamsSchema,
  runStartParamsSchema,
  type SessionOptions,
  type SessionStartParams,
  type SessionStartResult,
  sessionStartParamsSchema,
} from '@nanoclaw/core';
import type { MessageConnection } from 'vscode-jsonrpc/node.js';
import { type ActionBridge, createActionBridge } from './action-bridge.js';
import { withGroupRelativeAttachments } from './attachment-paths.js';
import { formatIssues, RunnerErrorCodes, runnerError } from './errors.js';
import { loadProvider as defaultLoadProvider, ProviderNotInstalledError } from './load-provider.js';
import { type RunController, startRun } from './run-controller.js';
import { createStderrLogger } from './stderr-logger.js';
import { RUNNER_VERSION } from './version.js';

/** The MCP server name under which the agent's own tools are given to the provider. */
export const AGENT_TOOLS_SERVER = 'nanoclaw';
/**
 * How long one call of the agent's own tools may take: 65 min. `ask_user_question` waits for a person for up to an
 * hour (its `timeoutS` max 3600), plus margin for the answer to come back; the agents' own MCP defaults (Codex and
 * OpenCode 60 s) would end it long before. A turn's own timeout still bounds the whole turn.
 */
export const AGENT_TOOLS_TIMEOUT_MS = 3_900_000;
export const DEFAULT_HEARTBEAT_MS = 5_000;
/**
 * The error code of a run the runner was told to stop in (a signal, session/close, the host gone): the turn did not
 * finish, so the host must run it again, never take what the provider ends it with for an answer.
 */
export const RUNNER_STOPPED = 'runner-stopped';
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 800;

export interface RunnerOptions {
  connection: MessageConnection;
  /** Path of the bundled MCP tool server (`dist/mcp-server.js`), spawned by the provider with node. */
  mcpServerPath: string;
  logger?: Logger;
  /** Resolves the provider the host named (default: `mock` built in, else `@nanoclaw/provider-<id>`). */
  loadProvider?: (id: string) => Promise<AgentProvider>;
  /** The provider's env: the sandbox's own env, which the host built from allowlists (default process.env). */
  env?: Record<string, string>;
  /** Ends the process (default `process.exit`). */
  exit?: (code: number) => void;
  /** How long an interrupted turn may take to end before the runner ends it itself (default 2 s). */
  interruptGraceMs?: number;
  /** Longest wait for the provider to close on shutdown before exiting anyway (default 800 ms). */
  shutdownTimeoutMs?: number;
  /** Parent of the action socket's private temp dir (default: the OS temp dir). */
  tmpRoot?: string;
}

export interface Runner {
  /** Registers the protocol handlers, starts listening, sends `runner/ready` and starts the heartbeat. */
  start(): void;
  /** Closes the session and the action socket, then exits with `code`. Idempotent. */
  shutdown(code: number, reason: string): Promise<void>;
  readonly busy: boolean;
}

interface ActiveSession {
  provider: AgentProvider;
  session: AgentSession;
  params: SessionStartParams;
}

export function createRunner(options: RunnerOptions): Runner {
  return new AgentRunner(options);
}

/** The runner's state and the host protocol's handlers, one small method each. */
class AgentRunner implements Runner {
  readonly #options: RunnerOptions;
  readonly #connection: MessageConnection;
  readonly #logger: Logger;
  readonly #loadProvider: (id: string) => Promise<AgentProvider>;
  readonly #exit: (code: number) => void;
  #active: ActiveSession | undefined;
  #starting = false;
  #run: RunController | undefined;
  #bridge: ActionBridge | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #exiting: Promise<void> | undefined;
  /** The run that was active when the runner was told to stop: nothing more of it is sent. */
  #stoppedRunId: string | undefined;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#connection = options.connection;
    this.#logger = options.logger ?? createStderrLogger({ bindings: { component: 'agent-runner' } });
    this.#loadProvider = options.loadProvider ?? ((id: string) => defaultLoadProvider(id));
    this.#exit = options.exit ?? ((code: number) => process.exit(code));
  }

  get busy(): boolean {
    return this.#run !== undefined;
  }

  start(): void {
    const connection = this.#connection;
    connection.onRequest(HostToRunner.sessionStart, (raw: unknown) => this.#onSessionStart(raw));
    connection.onRequest(HostToRunner.runStart, (raw: unknown) => this.#onRunStart(raw));
    connection.onRequest(HostToRunner.runPush, (raw: unknown) => this.#onRunPush(raw));
    connection.onRequest(HostToRunner.runInterrupt, (raw: unknown) => this.#onRunInterrupt(raw));
    connection.onRequest(HostToRunner.sessionCompact, () => this.#onSessionCompact());
    connection.onRequest(HostToRunner.sessionClose, () => this.#onSessionClose());
    connection.onClose(() => void this.shutdown(0, 'host connection closed'));
    connection.listen();
    this.#notify(RunnerToHost.ready, {
      protocolVersion: RUNNER_PROTOCOL_VERSION,
      runnerVersion: RUNNER_VERSION,
      pid: process.pid,
    });
    this.#startHeartbeat(DEFAULT_HEARTBEAT_MS);
  }

  /** Never rejects: closing waits at most `shutdownTimeoutMs` for settled work, then exits. */
  shutdown(code: number, reason: string): Promise<void> {
    this.#exiting ??= (async () => {
      this.#logger.info({ code, reason }, 'runner shutting down');
      await this.#closeResources(reason);
      this.#exit(code);
    })();
    return this.#exiting;
  }

  #notify(method: string, params: unknown): void {
    this.#connection.sendNotification(method, params).catch((error: unknown) => {
      this.#logger.debug({ err: error, method }, 'notification not sent');
    });
  }

  #startHeartbeat(ms: number): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(
      () => this.#notify(RunnerToHost.heartbeat, { at: Date.now(), busy: this.busy }),
      ms,
    );
  }

  async #onSessionStart(raw: unknown): Promise<SessionStartResult> {
    if (this.#closing) throw runnerError(RunnerErrorCodes.shuttingDown, 'the runner is shutting down');
    if (this.#active || this.#starting)
      throw runnerError(RunnerErrorCodes.sessionStarted, 'a session is already started');
    const params = parseParams(sessionStartParamsSchema, raw, 'session/start');
    this.#starting = true;
    try {
      const provider = await this.#provider(params.provider);
      const { session, resumed } = await openSession(
        provider,
        await this.#sessionOptions(params),
        this.#logger,
      ).catch((error: unknown) => {
        throw runnerError(
          RunnerErrorCodes.sessionStartFailed,
          `session start failed: ${errorMessage(error)}`,
        );
      });
      this.#active = { provider, session, params };
      this.#startHeartbeat(params.heartbeatMs);
      this.#logger.info({ provider: params.provider, resumed }, 'session started');
      return { continuation: session.continuation, resumed };
    } finally {
      this.#starting = false;
    }
  }

  #provider(id: string): Promise<AgentProvider> {
    return this.#loadProvider(id).catch((error: unknown) => {
      const code =
        error instanceof ProviderNotInstalledError
          ? RunnerErrorCodes.providerNotInstalled
          : RunnerErrorCodes.sessionStartFailed;
      throw runnerError(code, errorMessage(error));
    });
  }

  async #sessionOptions(params: SessionStartParams): Promise<SessionOptions> {
    this.#bridge ??= await createActionBridge({
      handle: (raw) => this.#handleAction(raw),
      logger: this.#logger,
      tmpRoot: this.#options.tmpRoot,
    });
    return {
      cwd: params.cwd,
      continuation: params.continuation,
      model: params.model,
      reasoningEffort: params.reasoningEffort,
      instructions: params.instructions,
      mcpServers: {
        ...params.mcpServers,
        [AGENT_TOOLS_SERVER]: {
          type: 'stdio',
          command: process.execPath,
          args: [this.#options.mcpServerPath],
          env: { NANOCLAW_RUNNER_SOCKET: this.#bridge.socketPath },
          toolTimeoutMs: AGENT_TOOLS_TIMEOUT_MS,
        },
      },
      env: this.#options.env ?? stringEnv(process.env),
      logger: this.#logger.child({ provider: params.provider }),
    };
  }

  async #handleAction(raw: unknown): Promise<AgentActionResult> {
    const parsed = agentActionSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, error: `invalid action: ${formatIssues(parsed.error.issues)}` };
    const action = withGroupRelativeAttachments(parsed.data, this.#active?.params.cwd);
    if (!action.ok) return action;
    // Waiting for a person's answer is not the agent's working time: the turn clock stops meanwhile.
    const release = action.action.tool === 'ask_user_question' ? this.#run?.holdTurnTimer() : undefined;
    try {
      const answer: unknown = await this.#connection.sendRequest(RunnerToHost.agentAction, action.action);
      const checked = agentActionResultSchema.safeParse(answer);
      if (checked.success) return checked.data;
      return { ok: false, error: 'the host answered agent/action with an invalid result' };
    } catch (error) {
      return { ok: false, error: errorMessage(error) };
    } finally {
      release?.();
    }
  }

  #requireSession(): ActiveSession {
    if (!this.#active) throw runnerError(RunnerErrorCodes.noSession, 'no session: call session/start first');
    return this.#active;
  }

  #onRunStart(raw: unknown): { runId: string } {
    const { runId, input } = parseParams(runStartParamsSchema, raw, 'run/start');
    if (this.#closing) throw runnerError(RunnerErrorCodes.shuttingDown, 'the runner is shutting down');
    const { session, params } = this.#requireSession();
    if (this.#run)
      throw runnerError(RunnerErrorCodes.runActive, `run ${this.#run.runId} is active; use run/push`);
    let stream: AsyncIterable<AgentEvent>;
    try {
      stream = session.prompt(input);
    } catch (error) {
      throw runnerError(RunnerErrorCodes.runStartFailed, `run start failed: ${errorMessage(error)}`);
    }
    const controller = startRun({
      runId,
      session,
      stream,
      turnTimeoutMs: params.turnTimeoutMs,
      interruptGraceMs: this.#options.interruptGraceMs,
      send: (event) => {
        if (this.#stoppedRunId !== runId) this.#notify(RunnerToHost.runEvent, { runId, event });
      },
      logger: this.#logger,
    });
    this.#run = controller;
    const end = () => {
      if (this.#run === controller) this.#run = undefined;
      this.#notify(RunnerToHost.runEnd, { runId, continuation: session.continuation });
    };
    controller.done.then(end, (error: unknown) => {
      this.#logger.error({ err: error, runId }, 'run failed outside its controller; ending it');
      end();
    });
    return { runId };
  }

  #onRunPush(raw: unknown): { accepted: boolean } {
    const { runId, input } = parseParams(runPushParamsSchema, raw, 'run/push');
    const { session } = this.#requireSession();
    if (!this.#run || this.#run.runId !== runId) return { accepted: false };
    return { accepted: session.push(input) };
  }

  async #onRunInterrupt(raw: unknown): Promise<Record<string, never>> {
    this.#requireSession();
    const runId = typeof raw === 'object' && raw !== null ? (raw as { runId?: unknown }).runId : undefined;
    const run = this.#run;
    if (run && (runId === undefined || runId === run.runId)) await run.interrupt();
    return {};
  }

  async #onSessionCompact(): Promise<Record<string, never>> {
    await this.#requireSession().session.compact();
    return {};
  }

  async #onSessionClose(): Promise<Record<string, never>> {
    await this.#closeResources('session/close');
    // Exit once the reply is on its way.
    setTimeout(() => void this.shutdown(0, 'session/close'), 20);
    return {};
  }

  /**
   * Tells the host that the active run will not finish (one retryable `runner-stopped` error), and sends nothing
   * more of it: closing the provider ends its turn as `interrupted`, which the host would otherwise deliver as an
   * answer and mark the message done.
   */
  #stopActiveRun(why: string): void {
    const current = this.#run;
    if (!current || this.#stoppedRunId === current.runId) return;
    const message = `the runner was stopped (${why}) before the run finished`;
    this.#notify(RunnerToHost.runEvent, {
      runId: current.runId,
      event: { type: 'error', code: RUNNER_STOPPED, message, retryable: true },
    });
    this.#stoppedRunId = current.runId;
    this.#logger.warn(
      { runId: current.runId, reason: why },
      'stopped during a run; the host will run it again',
    );
  }

  #closeResources(why: string): Promise<void> {
    this.#stopActiveRun(why);
    this.#closing ??= (async () => {
      clearInterval(this.#heartbeat);
      const work = Promise.allSettled([this.#active?.session.close(), this.#bridge?.close()]);
      const timeout = new Promise((resolve) =>
        setTimeout(resolve, this.#options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS),
      );
      await Promise.race([work, timeout]);
    })();
    return this.#closing;
  }
}

/** Starts or resumes; an invalid continuation falls back to a fresh session (`resumed: false`). */
async function openSession(provider: AgentProvider, sessionOpts: SessionOptions, logger: Logger) {
  if (sessionOpts.continuation === undefined) {
    return { session: await provider.startSession(sessionOpts), resumed: false };
  }
  try {
    return { session: await provider.startSession(sessionOpts), resumed: true };
  } catch (error) {
    if (!provider.isSessionInvalid(error)) throw error;
    logger.warn({ err: error }, 'stored continuation is invalid; starting a fresh session');
    return {
      session: await provider.startSession({ ...sessionOpts, continuation: undefined }),
      resumed: false,
    };
  }
}

/** Parses a request's params, or throws the protocol's `invalid-params` error naming the method. */
function parseParams<T>(
  schema: {
    safeParse(
      raw: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: Parameters<typeof formatIssues>[0] } };
  },
  raw: unknown,
  method: string,
): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw runnerError(
    RunnerErrorCodes.invalidParams,
    `invalid ${method} params: ${formatIssues(parsed.error.issues)}`,
  );
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
