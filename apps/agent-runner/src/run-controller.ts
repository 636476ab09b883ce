import { type AgentEvent, type AgentSession, errorMessage, type Logger } from '@nanoclaw/core';
import { TurnClock } from './turn-clock.js';

export interface RunControllerOptions {
  runId: string;
  session: AgentSession;
  /** The run's events, from `session.prompt()`. */
  stream: AsyncIterable<AgentEvent>;
  turnTimeoutMs: number;
  /** How long an interrupted turn may take to end before the runner ends it itself (default 2 s). */
  interruptGraceMs?: number;
  /** Receives every event to forward, including the ones the runner synthesizes. */
  send: (event: AgentEvent) => void;
  logger?: Logger;
}

/** One run, watched: every turn is bounded by the turn timeout, every interrupt by the grace period. */
export interface RunController {
  readonly runId: string;
  /** Resolves when the run ended: the provider's stream finished, failed, or was abandoned. */
  readonly done: Promise<void>;
  /** Interrupts the provider; if the open turn does not end within the grace period, ends it and the run. */
  interrupt(): Promise<void>;
  /**
   * Stops the turn clock while the agent waits for a person (a question), and returns the function that starts it
   * again with the time the turn had left: a person's answer time is not the agent's working time.
   */
  holdTurnTimer(): () => void;
}

export const DEFAULT_INTERRUPT_GRACE_MS = 2_000;

interface OpenTurn {
  turnId: string;
  text: string;
}

export function startRun(options: RunControllerOptions): RunController {
  const { session, send, logger } = options;
  const graceMs = options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
  let openTurn: OpenTurn | undefined;
  /** Set while an interrupt waits for the provider: which turn must end. */
  let pending: { turnId: string | undefined; timer: NodeJS.Timeout } | undefined;
  let abandon = () => {};
  const abandoned = new Promise<'abandoned'>((resolve) => {
    abandon = () => resolve('abandoned');
  });

  const clock = new TurnClock(options.turnTimeoutMs, () => onTurnTimeout());
  const armTurnTimer = () => clock.restart();

  const endItself = () => {
    logger?.warn(
      { runId: options.runId, turnId: openTurn?.turnId },
      'provider ignored the interrupt; ending the turn',
    );
    if (openTurn)
      send({ type: 'turn-end', turnId: openTurn.turnId, status: 'interrupted', text: openTurn.text });
    openTurn = undefined;
    abandon();
  };

  const armGrace = () => {
    pending ??= { turnId: openTurn?.turnId, timer: setTimeout(endItself, graceMs) };
  };

  const interruptProvider = () =>
    session.interrupt().catch((error: unknown) => {
      logger?.error({ err: error, runId: options.runId }, 'provider interrupt failed');
    });

  const interrupt = async () => {
    if (openTurn) armGrace();
    await interruptProvider();
  };

  function onTurnTimeout() {
    const turnId = openTurn?.turnId;
    const message = `the turn ran longer than the turn timeout (${options.turnTimeoutMs} ms)`;
    send({ type: 'error', ...(turnId ? { turnId } : {}), message, code: 'timeout', retryable: true });
    armGrace();
    void interruptProvider();
  }

  const observe = (event: AgentEvent) => {
    if (event.type === 'text-delta' && openTurn?.turnId === event.turnId) openTurn.text += event.delta;
    if (event.type !== 'turn-start' && event.type !== 'turn-end') return;
    openTurn = event.type === 'turn-start' ? { turnId: event.turnId, text: '' } : undefined;
    if (pending) {
      // The interrupted turn ended, or (when none was open) the provider moved on to a turn boundary.
      const ended = event.type === 'turn-end' && pending.turnId === event.turnId;
      if (ended || pending.turnId === undefined) {
        clearTimeout(pending.timer);
        pending = undefined;
      }
    }
    armTurnTimer();
  };

  const drive = async () => {
    armTurnTimer();
    const iterator = options.stream[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), abandoned]);
        if (next === 'abandoned') {
          void iterator.return?.()?.catch(() => undefined);
          return;
        }
        if (next.done) return;
        observe(next.value);
        send(next.value);
      }
    } catch (error) {
      failOpenTurn(error);
    } finally {
      clock.end();
      if (pending) clearTimeout(pending.timer);
    }
  };

  const failOpenTurn = (error: unknown) => {
    const message = `provider failed: ${errorMessage(error)}`;
    logger?.error({ err: error, runId: options.runId }, 'provider stream failed');
    const turnId = openTurn?.turnId;
    send({ type: 'error', ...(turnId ? { turnId } : {}), message, code: 'provider-error', retryable: false });
    if (openTurn) send({ type: 'turn-end', turnId: openTurn.turnId, status: 'failed', text: openTurn.text });
    openTurn = undefined;
  };

  return { runId: options.runId, done: drive(), interrupt, holdTurnTimer: () => clock.hold() };
}
