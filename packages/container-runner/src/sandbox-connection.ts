import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import {
  type AgentAction,
  type AgentActionResult,
  type AgentEvent,
  type AsyncQueue,
  agentActionSchema,
  type ContainerRuntime,
  createAsyncQueue,
  errorMessage,
  HostToRunner,
  heartbeatParamsSchema,
  type Logger,
  RUNNER_PROTOCOL_VERSION,
  RunnerToHost,
  readyParamsSchema,
  runEndParamsSchema,
  runEventParamsSchema,
  runPushResultSchema,
  type SandboxExit,
  type SandboxProcess,
  type SandboxSpec,
  type SessionStartParams,
  type SessionStartResult,
  sessionStartResultSchema,
  silentLogger,
  type TurnInput,
} from '@nanoclaw/core';
import {
  createMessageConnection,
  type Message,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node.js';
import { SandboxError } from './errors.js';
import { assertSupportedRuntime } from './runtime-version.js';
import { settlesWithin } from './settles-within.js';

export type ActionHandler = (
  action: AgentAction,
  context: { sandbox: string },
) => AgentActionResult | Promise<AgentActionResult>;

export interface RunnerInfo {
  protocolVersion: number;
  runnerVersion: string;
  pid: number;
}

export type SandboxCloseReason = 'closed' | 'idle' | 'runner-exited' | 'runner-unresponsive' | 'killed';

export interface SandboxClosed {
  reason: SandboxCloseReason;
  exit: SandboxExit;
}

export interface SandboxConnectionOptions {
  runtime: ContainerRuntime;
  spec: SandboxSpec;
  logger?: Logger;
  /** How long `createSandboxConnection` waits for `runner/ready` (default 60 s: an image may start cold). */
  readyTimeoutMs?: number;
  /** No heartbeat (or any message) from the runner for this long: the run fails and the sandbox is killed (default 30 s). */
  heartbeatTimeoutMs?: number;
  /** Closed after this long without a run (default 30 min). */
  idleTimeoutMs?: number;
  /** How long `close()` waits for the runner to exit by itself before killing the sandbox (default 5 s). */
  closeTimeoutMs?: number;
  onAction?: ActionHandler;
}

export interface RunOptions {
  runId?: string;
  /** Aborting interrupts the run; its events still arrive until `turn-end`/run end. */
  signal?: AbortSignal;
}

export type SessionStartInput = Omit<SessionStartParams, 'protocolVersion' | 'heartbeatMs' | 'mcpServers'> &
  Partial<Pick<SessionStartParams, 'heartbeatMs' | 'mcpServers'>>;

/** A running sandbox with the agent-runner inside, driven over JSON-RPC on its stdio. */
export interface AgentSandbox {
  readonly name: string;
  readonly runner: RunnerInfo;
  readonly process: SandboxProcess;
  /** The provider's resume token as of the last `session/start` or `run/end`. */
  readonly continuation: string | undefined;
  /** True while a run is streaming. */
  readonly busy: boolean;
  /** Resolves once the sandbox is gone, with why. */
  readonly closed: Promise<SandboxClosed>;
  startSession(params: SessionStartInput): Promise<SessionStartResult>;
  /**
   * Starts a run at once and streams its events until `run/end`. Never hangs: a dead or silent runner ends the
   * stream with an `error` event (`runner-exited` / `runner-unresponsive`).
   */
  run(input: TurnInput, options?: RunOptions): AsyncIterable<AgentEvent>;
  /** Follow-up input for the active run; false when idle or refused. */
  push(input: TurnInput): Promise<boolean>;
  interrupt(): Promise<void>;
  compact(): Promise<void>;
  /** Sets the handler of `agent/action` requests (the last one wins); returns a function that removes it. */
  onAction(handler: ActionHandler): () => void;
  /** Asks the runner to close, then stops the sandbox. Idempotent. */
  close(): Promise<void>;
  /** Stops the sandbox at once. */
  kill(): Promise<void>;
}

interface ActiveRun {
  runId: string;
  queue: AsyncQueue<AgentEvent>;
}

const STDERR_TAIL = 20;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];

/**
 * Spawns the agent-runner in a sandbox and connects to it (Content-Length framed JSON-RPC over stdio). Resolves
 * once the runner sent `runner/ready`; rejects (with the tail of its stderr) if it exits or stays silent.
 */
export async function createSandboxConnection(options: SandboxConnectionOptions): Promise<AgentSandbox> {
  const { spec } = options;
  const runtime = assertSupportedRuntime(options.runtime);
  const logger = (options.logger ?? silentLogger).child({ sandbox: spec.name });
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30 * 60_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;

  const proc = await runtime.spawn(spec);
  const stderrTail: string[] = [];
  pipeStderr(proc, logger, stderrTail);

  const stdout = new RunnerStdout(proc.stdout, logger);
  const connection: MessageConnection = createMessageConnection(
    new StreamMessageReader(stdout.reader),
    new RunnerWriter(proc.stdin, (error) => onBrokenStdin(error)),
  );

  let actionHandler: ActionHandler | undefined = options.onAction;
  let continuation: string | undefined;
  let active: ActiveRun | undefined;
  let closeReason: SandboxCloseReason | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  let resolveReady: (info: RunnerInfo) => void = () => {};
  let rejectReady: (error: Error) => void = () => {};
  const ready = new Promise<RunnerInfo>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {});

  /** The runner's stdin cannot take a write: the runner is gone or going. Its run ends as if it exited. */
  const onBrokenStdin = (error: Error) => {
    if (closeReason) {
      logger.debug({ err: errorMessage(error) }, 'write to a closing sandbox dropped');
      return;
    }
    closeReason = 'runner-exited';
    logger.warn({ err: errorMessage(error) }, 'cannot write to the runner; stopping the sandbox');
    clearTimeout(watchdog);
    clearTimeout(idleTimer);
    proc.kill().catch((killError: unknown) => {
      logger.warn({ err: errorMessage(killError) }, 'could not stop a sandbox whose stdin broke');
    });
  };

  const failActiveRun = (
    code: 'runner-exited' | 'runner-unresponsive' | 'sandbox-closed',
    message: string,
  ) => {
    const run = active;
    if (!run) return;
    active = undefined;
    // Whatever stopped it, the turn did not finish: another try (in a fresh sandbox) must answer it.
    run.queue.push({ type: 'error', code, message, retryable: true });
    run.queue.end();
  };

  const armWatchdog = (ms: number) => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      if (closeReason) return;
      closeReason = 'runner-unresponsive';
      const message = `no heartbeat from the runner for ${ms} ms; the sandbox was stopped`;
      logger.error({ timeoutMs: ms }, 'runner unresponsive');
      rejectReady(new SandboxError('connection-closed', `${message}${tail(stderrTail)}`));
      failActiveRun('runner-unresponsive', message);
      proc.kill().catch((error: unknown) => {
        // Nothing else to do here: the reaper removes a sandbox a runtime could not stop.
        logger.warn({ err: errorMessage(error) }, 'could not stop an unresponsive sandbox');
      });
    }, ms);
    watchdog.unref?.();
  };
  const alive = () => {
    if (!closeReason) armWatchdog(heartbeatTimeoutMs);
  };

  const armIdle = () => {
    clearTimeout(idleTimer);
    if (closeReason || active) return;
    idleTimer = setTimeout(() => {
      logger.info({ idleMs: idleTimeoutMs }, 'sandbox idle; closing');
      closeWith('idle').catch((error: unknown) => {
        // The sandbox stays marked closed; the reaper removes what a runtime could not stop.
        logger.warn({ err: errorMessage(error) }, 'could not close an idle sandbox');
      });
    }, idleTimeoutMs);
    idleTimer.unref?.();
  };

  connection.onNotification(RunnerToHost.ready, (raw: unknown) => {
    alive();
    const parsed = readyParamsSchema.safeParse(raw);
    if (!parsed.success) {
      rejectReady(
        new SandboxError(
          'connection-closed',
          `runner/ready with an unsupported protocol: ${JSON.stringify(raw)}`,
        ),
      );
      return;
    }
    resolveReady(parsed.data);
  });
  connection.onNotification(RunnerToHost.heartbeat, (raw: unknown) => {
    if (!heartbeatParamsSchema.safeParse(raw).success) logger.debug({ params: raw }, 'malformed heartbeat');
    alive();
  });
  connection.onNotification(RunnerToHost.runEvent, (raw: unknown) => {
    alive();
    const parsed = runEventParamsSchema.safeParse(raw);
    if (!parsed.success) {
      logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'dropped an invalid run/event');
      return;
    }
    if (active && parsed.data.runId === active.runId) active.queue.push(parsed.data.event);
    else logger.debug({ runId: parsed.data.runId }, 'run/event for a run that is not active');
  });
  connection.onNotification(RunnerToHost.runEnd, (raw: unknown) => {
    alive();
    const parsed = runEndParamsSchema.safeParse(raw);
    if (!parsed.success) {
      logger.warn({ params: raw }, 'dropped an invalid run/end');
      return;
    }
    if (parsed.data.continuation !== undefined) continuation = parsed.data.continuation;
    if (active && parsed.data.runId === active.runId) {
      const run = active;
      active = undefined;
      run.queue.end();
      armIdle();
    }
  });
  connection.onRequest(RunnerToHost.agentAction, async (raw: unknown): Promise<AgentActionResult> => {
    alive();
    const parsed = agentActionSchema.safeParse(raw);
    if (!parsed.success)
      return { ok: false, error: `invalid action: ${parsed.error.issues[0]?.message ?? 'schema'}` };
    if (!actionHandler) return { ok: false, error: 'the host has no handler for agent actions' };
    try {
      return await actionHandler(parsed.data, { sandbox: spec.name });
    } catch (error) {
      logger.warn({ tool: parsed.data.tool, err: errorMessage(error) }, 'agent action failed');
      return { ok: false, error: errorMessage(error) };
    }
  });
  connection.onError(([error]) =>
    logger.warn({ err: errorMessage(error) }, 'protocol error from the runner'),
  );
  connection.onNotification(STDOUT_DRAINED, () => stdout.markDispatched());
  connection.listen();
  armWatchdog(readyTimeoutMs);

  /** sendRequest throws synchronously on a disposed connection: always get a promise. */
  const send = (method: string, params: unknown): Promise<unknown> => {
    try {
      return connection.sendRequest(method, params);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const closed: Promise<SandboxClosed> = proc.exited.then(async (exit) => {
    // What the runner wrote just before it exited (the turn-start of a turn it died in) may still be in the pipe,
    // and the connection dispatches what it read one message at a time: wait until all of it was handled.
    await stdout.dispatched(STDOUT_DRAIN_MS);
    clearTimeout(watchdog);
    clearTimeout(idleTimer);
    const unexpected = closeReason === undefined;
    closeReason ??= 'runner-exited';
    const detail = `the sandbox exited (code ${exit.code ?? 'none'}${exit.signal ? `, signal ${exit.signal}` : ''})`;
    if (unexpected) logger.warn({ exit }, 'sandbox exited unexpectedly');
    else logger.info({ exit, reason: closeReason }, 'sandbox exited');
    rejectReady(
      new SandboxError(
        'connection-closed',
        `runner exited before it was ready: ${detail}${tail(stderrTail)}`,
      ),
    );
    failActiveRun(
      closeReason === 'closed' || closeReason === 'idle' || closeReason === 'killed'
        ? 'sandbox-closed'
        : closeReason === 'runner-unresponsive'
          ? 'runner-unresponsive'
          : 'runner-exited',
      `${detail} during the run${tail(stderrTail)}`,
    );
    connection.dispose();
    return { reason: closeReason, exit };
  });

  const closeWith = (reason: SandboxCloseReason): Promise<void> => {
    closing ??= (async () => {
      closeReason ??= reason;
      clearTimeout(idleTimer);
      clearTimeout(watchdog);
      if (reason !== 'killed') {
        await settlesWithin(send(HostToRunner.sessionClose, {}), closeTimeoutMs);
        proc.stdin.end();
        if (!(await settlesWithin(proc.exited, closeTimeoutMs)))
          logger.warn('runner did not exit after session/close; stopping the sandbox');
      }
      await proc.kill();
      await closed;
    })();
    return closing;
  };

  let runner: RunnerInfo;
  try {
    runner = await ready;
  } catch (error) {
    await closeWith('killed');
    throw error;
  }
  alive();
  armIdle();
  logger.info(
    { runnerVersion: runner.runnerVersion, protocolVersion: runner.protocolVersion },
    'runner ready',
  );

  const ensureOpen = (what: string) => {
    if (closeReason)
      throw new SandboxError('connection-closed', `${what}: the sandbox is closed (${closeReason})`);
  };

  const request = async <T>(method: string, params: unknown): Promise<T> => {
    ensureOpen(method);
    try {
      return (await connection.sendRequest(method, params)) as T;
    } catch (error) {
      if (closeReason)
        throw new SandboxError('connection-closed', `${method}: the sandbox closed (${closeReason})`, {
          cause: error,
        });
      throw error;
    }
  };

  return {
    name: spec.name,
    runner,
    process: proc,
    get continuation() {
      return continuation;
    },
    get busy() {
      return active !== undefined;
    },
    closed,
    async startSession(params) {
      const full: SessionStartParams = {
        protocolVersion: RUNNER_PROTOCOL_VERSION,
        heartbeatMs: Math.max(100, Math.min(5_000, Math.floor(heartbeatTimeoutMs / 3))),
        mcpServers: {},
        ...params,
      };
      // Not idle while the session starts (a slow runtime can take longer than a short idle timeout).
      clearTimeout(idleTimer);
      const raw = await request<unknown>(HostToRunner.sessionStart, full).finally(armIdle);
      const result = sessionStartResultSchema.parse(raw);
      if (result.continuation !== undefined) continuation = result.continuation;
      return result;
    },
    run(input, runOptions = {}) {
      ensureOpen('run');
      if (active) throw new SandboxError('invalid-argument', `run ${active.runId} is active; use push()`);
      const runId = runOptions.runId ?? randomUUID();
      const queue = createAsyncQueue<AgentEvent>(() => {
        // The consumer stopped listening: interrupt, and drop the rest.
        if (active?.runId === runId) void send(HostToRunner.runInterrupt, { runId }).catch(() => {});
      });
      active = { runId, queue };
      clearTimeout(idleTimer);
      const onAbort = () => void send(HostToRunner.runInterrupt, { runId }).catch(() => {});
      runOptions.signal?.addEventListener('abort', onAbort, { once: true });
      send(HostToRunner.runStart, { runId, input }).then(
        () => {},
        (error: unknown) => {
          if (active?.runId !== runId) return;
          active = undefined;
          queue.push({
            type: 'error',
            code: closeReason ? 'runner-exited' : 'run-start-failed',
            message: `run/start failed: ${errorMessage(error)}`,
            retryable: closeReason !== undefined,
          });
          queue.end();
          armIdle();
        },
      );
      return {
        [Symbol.asyncIterator]: () => {
          const iterator = queue[Symbol.asyncIterator]();
          return {
            next: async () => {
              const result = await iterator.next();
              if (result.done) runOptions.signal?.removeEventListener('abort', onAbort);
              return result;
            },
            return: async () => {
              runOptions.signal?.removeEventListener('abort', onAbort);
              return (await iterator.return?.()) ?? { value: undefined, done: true };
            },
          };
        },
      };
    },
    async push(input) {
      const run = active;
      if (!run || closeReason) return false;
      const raw = await request<unknown>(HostToRunner.runPush, { runId: run.runId, input });
      const parsed = runPushResultSchema.safeParse(raw);
      return parsed.success && parsed.data.accepted;
    },
    async interrupt() {
      if (!active || closeReason) return;
      await request(HostToRunner.runInterrupt, { runId: active.runId });
    },
    async compact() {
      await request(HostToRunner.sessionCompact, {});
    },
    onAction(handler) {
      actionHandler = handler;
      return () => {
        if (actionHandler === handler) actionHandler = undefined;
      };
    },
    close: () => closeWith('closed'),
    kill: () => closeWith('killed'),
  };
}

/**
 * The host's writer to a runner: a write never rejects. vscode-jsonrpc's `sendRequest` rethrows a failed write
 * inside an async Promise executor, where no caller can catch it, so a runner whose stdin was destroyed while the
 * host wrote to it (it died, its sandbox was stopped) crashed the host with an unhandled ERR_STREAM_DESTROYED. A
 * write the stream cannot take is dropped and reported to `onBroken` instead; the connection stops the sandbox, and
 * the requests still waiting for an answer fail when it closes.
 */
class RunnerWriter extends StreamMessageWriter {
  readonly #stream: Writable;
  readonly #onBroken: (error: Error) => void;

  constructor(stream: Writable, onBroken: (error: Error) => void) {
    super(stream);
    this.#stream = stream;
    this.#onBroken = onBroken;
  }

  override async write(message: Message): Promise<void> {
    if (this.#stream.destroyed || this.#stream.writableEnded) {
      this.#onBroken(new Error(`the runner's stdin is ${this.#stream.destroyed ? 'destroyed' : 'closed'}`));
      return;
    }
    try {
      await super.write(message);
    } catch (error) {
      this.#onBroken(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function tail(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `; last stderr:\n${lines.join('\n')}`;
}

/** Forwards the sandbox's stderr to the logger line by line (JSON lines keep their level and fields). */
function pipeStderr(proc: SandboxProcess, logger: Logger, tailLines: string[]): void {
  const lines = createInterface({ input: proc.stderr, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (raw) => {
    const line = raw.length > 8_192 ? `${raw.slice(0, 8_192)}…` : raw;
    if (line.trim() === '') return;
    tailLines.push(line);
    if (tailLines.length > STDERR_TAIL) tailLines.shift();
    const parsed = parseJsonLine(line);
    if (parsed) {
      const { level, msg, time: _time, ...fields } = parsed;
      const method: Level = LEVELS.includes(level as Level) ? (level as Level) : 'info';
      logger[method]({ ...fields, stream: 'stderr' }, typeof msg === 'string' ? msg : '');
    } else {
      logger.info({ stream: 'stderr' }, line);
    }
  });
  lines.on('error', () => {});
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** After an exit, how long to wait for the runner's stdout to end (a grandchild may hold it open). */
const STDOUT_DRAIN_MS = 1_000;

/** The marker notification the host appends to the runner's stdout once it ended; never sent by a runner. */
const STDOUT_DRAINED = '$/nanoclaw/stdoutDrained';

/**
 * The runner's stdout as the connection reads it: the real stream, then, once it ended, one marker message
 * (`STDOUT_DRAINED`). The marker goes through the same framing, decoding and dispatch queue as every message before
 * it, so its handler runs exactly when everything the runner wrote has been handled: the exit path waits for that
 * event instead of counting event-loop turns.
 */
class RunnerStdout {
  readonly reader = new PassThrough();
  readonly #source: Readable;
  readonly #handled: Promise<void>;
  #resolveHandled: () => void = () => {};

  constructor(source: Readable, logger: Logger) {
    this.#source = source;
    this.#handled = new Promise<void>((resolve) => {
      this.#resolveHandled = resolve;
    });
    // pipe() forwards no errors: a broken stdout ends like a closed one (its 'close' follows).
    source.on('error', (error) => logger.debug({ err: errorMessage(error) }, 'runner stdout failed'));
    source.pipe(this.reader, { end: false });
  }

  /** Called by the connection's handler of the marker. */
  markDispatched(): void {
    this.#resolveHandled();
  }

  /**
   * Resolves once the runner's stdout ended (or after `ms`: a grandchild may hold it open) and every message read
   * from it was dispatched (or after another `ms`, should the marker be lost behind a torn frame).
   */
  async dispatched(ms: number): Promise<void> {
    await ended(this.#source, ms);
    this.#source.unpipe(this.reader);
    this.reader.end(frameNotification(STDOUT_DRAINED));
    await settlesWithin(this.#handled, ms);
  }
}

function frameNotification(method: string): Buffer {
  const body = JSON.stringify({ jsonrpc: '2.0', method });
  return Buffer.from(`Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`, 'utf8');
}

/** Resolves once `stream` ended or closed, or after `ms`. */
async function ended(stream: Readable, ms: number): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
  });
}
