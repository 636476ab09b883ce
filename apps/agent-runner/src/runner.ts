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
import { formatIssues, RunnerErrorCodes, runnerError } from './errors.js';
import { loadProvider as defaultLoadProvider, ProviderNotInstalledError } from './load-provider.js';
import { type RunController, startRun } from './run-controller.js';
import { createStderrLogger } from './stderr-logger.js';
import { RUNNER_VERSION } from './version.js';

/** The MCP server name under which the agent's own tools are given to the provider. */
export const AGENT_TOOLS_SERVER = 'nanoclaw';
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
  const { connection } = options;
  const logger = options.logger ?? createStderrLogger({ bindings: { component: 'agent-runner' } });
  const loadProvider = options.loadProvider ?? ((id: string) => defaultLoadProvider(id));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let active: ActiveSession | undefined;
  let starting = false;
  let run: RunController | undefined;
  let bridge: ActionBridge | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  let exiting: Promise<void> | undefined;
  /** The run that was active when the runner was told to stop: nothing more of it is sent. */
  let stoppedRunId: string | undefined;

  const notify = (method: string, params: unknown) => {
    connection.sendNotification(method, params).catch((error: unknown) => {
      logger.debug({ err: error, method }, 'notification not sent');
    });
  };

  const startHeartbeat = (ms: number) => {
    clearInterval(heartbeat);
    heartbeat = setInterval(
      () => notify(RunnerToHost.heartbeat, { at: Date.now(), busy: run !== undefined }),
      ms,
    );
  };

  const handleAction = async (raw: unknown): Promise<AgentActionResult> => {
    const parsed = agentActionSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, error: `invalid action: ${formatIssues(parsed.error.issues)}` };
    try {
      const answer: unknown = await connection.sendRequest(RunnerToHost.agentAction, parsed.data);
      const checked = agentActionResultSchema.safeParse(answer);
      if (checked.success) return checked.data;
      return { ok: false, error: 'the host answered agent/action with an invalid result' };
    } catch (error) {
      return { ok: false, error: errorMessage(error) };
    }
  };

  const sessionOptions = async (params: SessionStartParams): Promise<SessionOptions> => {
    bridge ??= await createActionBridge({ handle: handleAction, logger, tmpRoot: options.tmpRoot });
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
          args: [options.mcpServerPath],
          env: { NANOCLAW_RUNNER_SOCKET: bridge.socketPath },
        },
      },
      env: options.env ?? stringEnv(process.env),
      logger: logger.child({ provider: params.provider }),
    };
  };

  /** Starts or resumes; an invalid continuation falls back to a fresh session (`resumed: false`). */
  const openSession = async (provider: AgentProvider, sessionOpts: SessionOptions) => {
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
  };

  const onSessionStart = async (raw: unknown): Promise<SessionStartResult> => {
    if (closing) throw runnerError(RunnerErrorCodes.shuttingDown, 'the runner is shutting down');
    if (active || starting)
      throw runnerError(RunnerErrorCodes.sessionStarted, 'a session is already started');
    const parsed = sessionStartParamsSchema.safeParse(raw);
    if (!parsed.success) {
      throw runnerError(
        RunnerErrorCodes.invalidParams,
        `invalid session/start params: ${formatIssues(parsed.error.issues)}`,
      );
    }
    const params = parsed.data;
    starting = true;
    try {
      const provider = await loadProvider(params.provider).catch((error: unknown) => {
        const code =
          error instanceof ProviderNotInstalledError
            ? RunnerErrorCodes.providerNotInstalled
            : RunnerErrorCodes.sessionStartFailed;
        throw runnerError(code, errorMessage(error));
      });
      const { session, resumed } = await openSession(provider, await sessionOptions(params)).catch(
        (error: unknown) => {
          throw runnerError(
            RunnerErrorCodes.sessionStartFailed,
            `session start failed: ${errorMessage(error)}`,
          );
        },
      );
      active = { provider, session, params };
      startHeartbeat(params.heartbeatMs);
      logger.info({ provider: params.provider, resumed }, 'session started');
      return { continuation: session.continuation, resumed };
    } finally {
      starting = false;
    }
  };

  const requireSession = (): ActiveSession => {
    if (!active) throw runnerError(RunnerErrorCodes.noSession, 'no session: call session/start first');
    return active;
  };

  const onRunStart = (raw: unknown): { runId: string } => {
    const parsed = runStartParamsSchema.safeParse(raw);
    if (!parsed.success) {
      throw runnerError(
        RunnerErrorCodes.invalidParams,
        `invalid run/start params: ${formatIssues(parsed.error.issues)}`,
      );
    }
    if (closing) throw runnerError(RunnerErrorCodes.shuttingDown, 'the runner is shutting down');
    const { session, params } = requireSession();
    if (run) throw runnerError(RunnerErrorCodes.runActive, `run ${run.runId} is active; use run/push`);
    const { runId, input } = parsed.data;
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
      interruptGraceMs: options.interruptGraceMs,
      send: (event) => {
        if (stoppedRunId !== runId) notify(RunnerToHost.runEvent, { runId, event });
      },
      logger,
    });
    run = controller;
    void controller.done.then(() => {
      if (run === controller) run = undefined;
      notify(RunnerToHost.runEnd, { runId, continuation: session.continuation });
    });
    return { runId };
  };

  const onRunPush = (raw: unknown): { accepted: boolean } => {
    const parsed = runPushParamsSchema.safeParse(raw);
    if (!parsed.success) {
      throw runnerError(
        RunnerErrorCodes.invalidParams,
        `invalid run/push params: ${formatIssues(parsed.error.issues)}`,
      );
    }
    const { session } = requireSession();
    if (!run || run.runId !== parsed.data.runId) return { accepted: false };
    return { accepted: session.push(parsed.data.input) };
  };

  const onRunInterrupt = async (raw: unknown): Promise<Record<string, never>> => {
    requireSession();
    const runId = typeof raw === 'object' && raw !== null ? (raw as { runId?: unknown }).runId : undefined;
    if (run && (runId === undefined || runId === run.runId)) await run.interrupt();
    return {};
  };

  const onSessionCompact = async (): Promise<Record<string, never>> => {
    await requireSession().session.compact();
    return {};
  };

  /**
   * Tells the host that the active run will not finish (one retryable `runner-stopped` error), and sends nothing
   * more of it: closing the provider ends its turn as `interrupted`, which the host would otherwise deliver as an
   * answer and mark the message done.
   */
  const stopActiveRun = (why: string) => {
    const current = run;
    if (!current || stoppedRunId === current.runId) return;
    const message = `the runner was stopped (${why}) before the run finished`;
    notify(RunnerToHost.runEvent, {
      runId: current.runId,
      event: { type: 'error', code: RUNNER_STOPPED, message, retryable: true },
    });
    stoppedRunId = current.runId;
    logger.warn({ runId: current.runId, reason: why }, 'stopped during a run; the host will run it again');
  };

  const closeResources = (why: string) => {
    stopActiveRun(why);
    closing ??= (async () => {
      clearInterval(heartbeat);
      const session = active?.session;
      const work = Promise.allSettled([session?.close(), bridge?.close()]);
      const timeout = new Promise((resolve) =>
        setTimeout(resolve, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS),
      );
      await Promise.race([work, timeout]);
    })();
    return closing;
  };

  const shutdown = (code: number, reason: string) => {
    exiting ??= (async () => {
      logger.info({ code, reason }, 'runner shutting down');
      await closeResources(reason);
      exit(code);
    })();
    return exiting;
  };

  const onSessionClose = async (): Promise<Record<string, never>> => {
    await closeResources('session/close');
    // Exit once the reply is on its way.
    setTimeout(() => void shutdown(0, 'session/close'), 20);
    return {};
  };

  return {
    get busy() {
      return run !== undefined;
    },
    start() {
      connection.onRequest(HostToRunner.sessionStart, onSessionStart);
      connection.onRequest(HostToRunner.runStart, onRunStart);
      connection.onRequest(HostToRunner.runPush, onRunPush);
      connection.onRequest(HostToRunner.runInterrupt, onRunInterrupt);
      connection.onRequest(HostToRunner.sessionCompact, onSessionCompact);
      connection.onRequest(HostToRunner.sessionClose, onSessionClose);
      connection.onClose(() => void shutdown(0, 'host connection closed'));
      connection.listen();
      notify(RunnerToHost.ready, {
        protocolVersion: RUNNER_PROTOCOL_VERSION,
        runnerVersion: RUNNER_VERSION,
        pid: process.pid,
      });
      startHeartbeat(DEFAULT_HEARTBEAT_MS);
    },
    shutdown,
  };
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
