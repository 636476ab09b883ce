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
  return SandboxConnection.open(options);
}

interface ConnectionSettings {
  readonly logger: Logger;
  readonly heartbeatTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly readyTimeoutMs: number;
}

function resolveSettings(options: SandboxConnectionOptions): ConnectionSettings {
  return {
    logger: (options.logger ?? silentLogger).child({ sandbox: options.spec.name }),
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 30 * 60_000,
    closeTimeoutMs: options.closeTimeoutMs ?? 5_000,
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
  };
}

type RunFailure = 'runner-exited' | 'runner-unresponsive' | 'sandbox-closed';

/** The error code a run still active when the sandbox went away ends with. */
function runFailureFor(reason: SandboxCloseReason): RunFailure {
  if (reason === 'closed' || reason === 'idle' || reason === 'killed') return 'sandbox-closed';
  return reason === 'runner-unresponsive' ? 'runner-unresponsive' : 'runner-exited';
}

function describeExit(exit: SandboxExit): string {
  return `the sandbox exited (code ${exit.code ?? 'none'}${exit.signal ? `, signal ${exit.signal}` : ''})`;
}

class SandboxConnection implements AgentSandbox {
  readonly name: string;
  readonly process: SandboxProcess;
  readonly closed: Promise<SandboxClosed>;
  readonly #settings: ConnectionSettings;
  readonly #logger: Logger;
  readonly #stderrTail: string[] = [];
  readonly #stdout: RunnerStdout;
  readonly #connection: MessageConnection;
  readonly #ready: Promise<RunnerInfo>;
  #resolveReady: (info: RunnerInfo) => void = () => {};
  #rejectReady: (error: Error) => void = () => {};
  #runner: RunnerInfo | undefined;
  #actionHandler: ActionHandler | undefined;
  #continuation: string | undefined;
  #active: ActiveRun | undefined;
  #closeReason: SandboxCloseReason | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  /** Spawns the sandbox, then waits for `runner/ready` (killing the sandbox if it never comes). */
  static async open(options: SandboxConnectionOptions): Promise<SandboxConnection> {
    const runtime = assertSupportedRuntime(options.runtime);
    const settings = resolveSettings(options);
    const proc = await runtime.spawn(options.spec);
    const sandbox = new SandboxConnection(options, settings, proc);
    await sandbox.#waitReady();
    return sandbox;
  }

  private constructor(options: SandboxConnectionOptions, settings: ConnectionSettings, proc: SandboxProcess) {
    this.name = options.spec.name;
    this.process = proc;
    this.#settings = settings;
    this.#logger = settings.logger;
    this.#actionHandler = options.onAction;
    pipeStderr(proc, this.#logger, this.#stderrTail);
    this.#stdout = new RunnerStdout(proc.stdout, this.#logger);
    this.#connection = createMessageConnection(
      new StreamMessageReader(this.#stdout.reader),
      new RunnerWriter(proc.stdin, (error) => this.#onBrokenStdin(error)),
    );
    this.#ready = new Promise<RunnerInfo>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.#ready.catch(() => {});
    this.#listen();
    this.#armWatchdog(settings.readyTimeoutMs);
    this.closed = proc.exited.then((exit) => this.#onExit(exit));
  }

  get runner(): RunnerInfo {
    return this.#runner as RunnerInfo;
  }

  get continuation(): string | undefined {
    return this.#continuation;
  }

  get busy(): boolean {
    return this.#active !== undefined;
  }

  async startSession(params: SessionStartInput): Promise<SessionStartResult> {
    const full: SessionStartParams = {
      protocolVersion: RUNNER_PROTOCOL_VERSION,
      heartbeatMs: Math.max(100, Math.min(5_000, Math.floor(this.#settings.heartbeatTimeoutMs / 3))),
      mcpServers: {},
      ...params,
    };
    // Not idle while the session starts (a slow runtime can take longer than a short idle timeout).
    clearTimeout(this.#idleTimer);
    const raw = await this.#request<unknown>(HostToRunner.sessionStart, full).finally(() => this.#armIdle());
    const result = sessionStartResultSchema.parse(raw);
    if (result.continuation !== undefined) this.#continuation = result.continuation;
    return result;
  }

  run(input: TurnInput, runOptions: RunOptions = {}): AsyncIterable<AgentEvent> {
    this.#ensureOpen('run');
    if (this.#active)
      throw new SandboxError('invalid-argument', `run ${this.#active.runId} is active; use push()`);
    const runId = runOptions.runId ?? randomUUID();
    const interrupt = () => void this.#send(HostToRunner.runInterrupt, { runId }).catch(() => {});
    const queue = createAsyncQueue<AgentEvent>(() => {
      // The consumer stopped listening: interrupt, and drop the rest.
      if (this.#active?.runId === runId) interrupt();
    });
    this.#active = { runId, queue };
    clearTimeout(this.#idleTimer);
    runOptions.signal?.addEventListener('abort', interrupt, { once: true });
    this.#send(HostToRunner.runStart, { runId, input }).then(
      () => {},
      (error: unknown) => this.#onRunStartFailed(runId, queue, error),
    );
    return untilDone(queue, () => runOptions.signal?.removeEventListener('abort', interrupt));
  }

  async push(input: TurnInput): Promise<boolean> {
    const run = this.#active;
    if (!run || this.#closeReason) return false;
    const raw = await this.#request<unknown>(HostToRunner.runPush, { runId: run.runId, input });
    const parsed = runPushResultSchema.safeParse(raw);
    return parsed.success && parsed.data.accepted;
  }

  async interrupt(): Promise<void> {
    if (!this.#active || this.#closeReason) return;
    await this.#request(HostToRunner.runInterrupt, { runId: this.#active.runId });
  }

  async compact(): Promise<void> {
    await this.#request(HostToRunner.sessionCompact, {});
  }

  onAction(handler: ActionHandler): () => void {
    this.#actionHandler = handler;
    return () => {
      if (this.#actionHandler === handler) this.#actionHandler = undefined;
    };
  }

  close(): Promise<void> {
    return this.#closeWith('closed');
  }

  kill(): Promise<void> {
    return this.#closeWith('killed');
  }

  async #waitReady(): Promise<void> {
    try {
      this.#runner = await this.#ready;
    } catch (error) {
      await this.#closeWith('killed');
      throw error;
    }
    this.#alive();
    this.#armIdle();
    this.#logger.info(
      { runnerVersion: this.#runner.runnerVersion, protocolVersion: this.#runner.protocolVersion },
      'runner ready',
    );
  }

  #listen(): void {
    const connection = this.#connection;
    connection.onNotification(RunnerToHost.ready, (raw: unknown) => this.#onReady(raw));
    connection.onNotification(RunnerToHost.heartbeat, (raw: unknown) => {
      if (!heartbeatParamsSchema.safeParse(raw).success)
        this.#logger.debug({ params: raw }, 'malformed heartbeat');
      this.#alive();
    });
    connection.onNotification(RunnerToHost.runEvent, (raw: unknown) => this.#onRunEvent(raw));
    connection.onNotification(RunnerToHost.runEnd, (raw: unknown) => this.#onRunEnd(raw));
    connection.onRequest(RunnerToHost.agentAction, (raw: unknown) => this.#handleAction(raw));
    connection.onError(([error]) =>
      this.#logger.warn({ err: errorMessage(error) }, 'protocol error from the runner'),
    );
    connection.onNotification(STDOUT_DRAINED, () => this.#stdout.markDispatched());
    connection.listen();
  }

  #onReady(raw: unknown): void {
    this.#alive();
    const parsed = readyParamsSchema.safeParse(raw);
    if (!parsed.success) {
      this.#rejectReady(
        new SandboxError(
          'connection-closed',
          `runner/ready with an unsupported protocol: ${JSON.stringify(raw)}`,
        ),
      );
      return;
    }
    this.#resolveReady(parsed.data);
  }

  #onRunEvent(raw: unknown): void {
    this.#alive();
    const parsed = runEventParamsSchema.safeParse(raw);
    if (!parsed.success) {
      this.#logger.warn({ issues: parsed.error.issues.slice(0, 3) }, 'dropped an invalid run/event');
      return;
    }
    const active = this.#active;
    if (active && parsed.data.runId === active.runId) active.queue.push(parsed.data.event);
    else this.#logger.debug({ runId: parsed.data.runId }, 'run/event for a run that is not active');
  }

  #onRunEnd(raw: unknown): void {
    this.#alive();
    const parsed = runEndParamsSchema.safeParse(raw);
    if (!parsed.success) {
      this.#logger.warn({ params: raw }, 'dropped an invalid run/end');
      return;
    }
    if (parsed.data.continuation !== undefined) this.#continuation = parsed.data.continuation;
    const run = this.#active;
    if (run && parsed.data.runId === run.runId) {
      this.#active = undefined;
      run.queue.end();
      this.#armIdle();
    }
  }

  async #handleAction(raw: unknown): Promise<AgentActionResult> {
    this.#alive();
    const parsed = agentActionSchema.safeParse(raw);
    if (!parsed.success)
      return { ok: false, error: `invalid action: ${parsed.error.issues[0]?.message ?? 'schema'}` };
    if (!this.#actionHandler) return { ok: false, error: 'the host has no handler for agent actions' };
    try {
      return await this.#actionHandler(parsed.data, { sandbox: this.name });
    } catch (error) {
      this.#logger.warn({ tool: parsed.data.tool, err: errorMessage(error) }, 'agent action failed');
      return { ok: false, error: errorMessage(error) };
    }
  }

  #onRunStartFailed(runId: string, queue: AsyncQueue<AgentEvent>, error: unknown): void {
    if (this.#active?.runId !== runId) return;
    this.#active = undefined;
    queue.push({
      type: 'error',
      code: this.#closeReason ? 'runner-exited' : 'run-start-failed',
      message: `run/start failed: ${errorMessage(error)}`,
      retryable: this.#closeReason !== undefined,
    });
    queue.end();
    this.#armIdle();
  }

  /** The runner's stdin cannot take a write: the runner is gone or going. Its run ends as if it exited. */
  #onBrokenStdin(error: Error): void {
    if (this.#closeReason) {
      this.#logger.debug({ err: errorMessage(error) }, 'write to a closing sandbox dropped');
      return;
    }
    this.#closeReason = 'runner-exited';
    this.#logger.warn({ err: errorMessage(error) }, 'cannot write to the runner; stopping the sandbox');
    clearTimeout(this.#watchdog);
    clearTimeout(this.#idleTimer);
    this.process.kill().catch((killError: unknown) => {
      this.#logger.warn({ err: errorMessage(killError) }, 'could not stop a sandbox whose stdin broke');
    });
  }

  #failActiveRun(code: RunFailure, message: string): void {
    const run = this.#active;
    if (!run) return;
    this.#active = undefined;
    // Whatever stopped it, the turn did not finish: another try (in a fresh sandbox) must answer it.
    run.queue.push({ type: 'error', code, message, retryable: true });
    run.queue.end();
  }

  #armWatchdog(ms: number): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => this.#onUnresponsive(ms), ms);
    this.#watchdog.unref?.();
  }

  #onUnresponsive(ms: number): void {
    if (this.#closeReason) return;
    this.#closeReason = 'runner-unresponsive';
    const message = `no heartbeat from the runner for ${ms} ms; the sandbox was stopped`;
    this.#logger.error({ timeoutMs: ms }, 'runner unresponsive');
    this.#rejectReady(new SandboxError('connection-closed', `${message}${tail(this.#stderrTail)}`));
    this.#failActiveRun('runner-unresponsive', message);
    this.process.kill().catch((error: unknown) => {
      // Nothing else to do here: the reaper removes a sandbox a runtime could not stop.
      this.#logger.warn({ err: errorMessage(error) }, 'could not stop an unresponsive sandbox');
    });
  }

  #alive(): void {
    if (!this.#closeReason) this.#armWatchdog(this.#settings.heartbeatTimeoutMs);
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#closeReason || this.#active) return;
    const idleMs = this.#settings.idleTimeoutMs;
    this.#idleTimer = setTimeout(() => {
      this.#logger.info({ idleMs }, 'sandbox idle; closing');
      this.#closeWith('idle').catch((error: unknown) => {
        // The sandbox stays marked closed; the reaper removes what a runtime could not stop.
        this.#logger.warn({ err: errorMessage(error) }, 'could not close an idle sandbox');
      });
    }, idleMs);
    this.#idleTimer.unref?.();
  }

  async #onExit(exit: SandboxExit): Promise<SandboxClosed> {
    // What the runner wrote just before it exited (the turn-start of a turn it died in) may still be in the pipe,
    // and the connection dispatches what it read one message at a time: wait until all of it was handled.
    await this.#stdout.dispatched(STDOUT_DRAIN_MS);
    clearTimeout(this.#watchdog);
    clearTimeout(this.#idleTimer);
    const unexpected = this.#closeReason === undefined;
    const reason = this.#closeReason ?? 'runner-exited';
    this.#closeReason = reason;
    const detail = describeExit(exit);
    if (unexpected) this.#logger.warn({ exit }, 'sandbox exited unexpectedly');
    else this.#logger.info({ exit, reason }, 'sandbox exited');
    const stderr = tail(this.#stderrTail);
    this.#rejectReady(
      new SandboxError('connection-closed', `runner exited before it was ready: ${detail}${stderr}`),
    );
    this.#failActiveRun(runFailureFor(reason), `${detail} during the run${stderr}`);
    this.#connection.dispose();
    return { reason, exit };
  }

  #closeWith(reason: SandboxCloseReason): Promise<void> {
    this.#closing ??= this.#shutDown(reason);
    return this.#closing;
  }

  async #shutDown(reason: SandboxCloseReason): Promise<void> {
    this.#closeReason ??= reason;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#watchdog);
    const { closeTimeoutMs } = this.#settings;
    if (reason !== 'killed') {
      await settlesWithin(this.#send(HostToRunner.sessionClose, {}), closeTimeoutMs);
      this.process.stdin.end();
      if (!(await settlesWithin(this.process.exited, closeTimeoutMs)))
        this.#logger.warn('runner did not exit after session/close; stopping the sandbox');
    }
    await this.process.kill();
    await this.closed;
  }

  #ensureOpen(what: string): void {
    if (this.#closeReason)
      throw new SandboxError('connection-closed', `${what}: the sandbox is closed (${this.#closeReason})`);
  }

  /** sendRequest throws synchronously on a disposed connection: always get a promise. */
  #send(method: string, params: unknown): Promise<unknown> {
    try {
      return this.#connection.sendRequest(method, params);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #request<T>(method: string, params: unknown): Promise<T> {
    this.#ensureOpen(method);
    try {
      return (await this.#connection.sendRequest(method, params)) as T;
    } catch (error) {
      if (this.#closeReason)
        throw new SandboxError('connection-closed', `${method}: the sandbox closed (${this.#closeReason})`, {
          cause: error,
        });
      throw error;
    }
  }
}

/** Iterates `queue`, calling `detach` once it is done or its consumer stops. */
function untilDone(queue: AsyncQueue<AgentEvent>, detach: () => void): AsyncIterable<AgentEvent> {
  return {
    [Symbol.asyncIterator]: () => {
      const iterator = queue[Symbol.asyncIterator]();
      return {
        next: async () => {
          const result = await iterator.next();
          if (result.done) detach();
          return result;
        },
        return: async () => {
          detach();
          return (await iterator.return?.()) ?? { value: undefined, done: true };
        },
      };
    },
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
