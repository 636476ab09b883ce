import { isSandboxError } from '@nanoclaw/container-runner';
import { type AgentEvent, errorMessage, type Logger, RunnerErrorCode, type TurnInput } from '@nanoclaw/core';
import type { UsageStore } from '@nanoclaw/db';
import type { AgentActions } from '../agent-actions/index.js';
import { createActionContext } from '../agent-actions/index.js';
import { isAgentPoolError } from '../agent-pool/index.js';
import type { AgentPool } from '../agent-pool/types.js';
import type { ChatRef, ProviderResolver, RegisteredGroup, SessionStore } from '../groups/index.js';
import { PermanentRunError, RetryableRunError } from './work.js';

/**
 * The sandbox ended the run before it finished: it died, went silent, was stopped (`runner-stopped`: a signal or
 * session/close reached the runner) or closed by the host (`sandbox-closed`). Worth another try; anything else the
 * agent reported is the answer.
 */
const RETRYABLE_CODES = new Set(['runner-exited', 'runner-unresponsive', 'runner-stopped', 'sandbox-closed']);
/** Pool refusals that no retry can fix: a setup problem the user must correct (the message says how). */
const PERMANENT_POOL_ERRORS = new Set([
  'mount-unreachable',
  'unknown-provider',
  'runner-missing',
  'invalid-packages',
  'invalid-skills',
  // A failed userland build (mirror down, disk full): answered at once with its cause, never rebuilt 5 times.
  'userland-failed',
]);

export interface RunAgentDeps {
  pool: AgentPool;
  sessions: SessionStore;
  resolver: ProviderResolver;
  actions: AgentActions;
  /** Where the tokens of each model request go (`nanoclaw usage`); default: not recorded. */
  usage?: Pick<UsageStore, 'record'>;
  logger: Logger;
}

export interface AgentRunRequest {
  group: RegisteredGroup;
  sessionKey: string;
  /** Stable across tries of the same work (the queue item id): keys replies and agent sends. */
  runId: string;
  chat: ChatRef | undefined;
  /** The user whose message the run answers: the one who may answer the agent's questions. */
  requester?: string;
  input: TurnInput;
  signal: AbortSignal;
  /** Forget the session's conversation before the run (isolated task runs). */
  fresh?: boolean;
  /** Called for every event, in order (deltas to the live stream, turn ends to the outbox). */
  onEvent: (event: AgentEvent) => void | Promise<void>;
  /** Hands later input to the same run; called once the run has started. */
  attachFollowUps?: (push: (input: TurnInput) => Promise<boolean>) => () => void;
}

export interface AgentRunResult {
  provider: string;
  /** Errors the agent reported (model errors, timeouts); each already ended its turn. */
  errors: Array<{ message: string; code: string }>;
}

/**
 * Runs one piece of work in the group's sandbox: resolves the session and provider, acquires (or reuses) the
 * sandbox, streams the run, and stores the continuation. Throws `RetryableRunError` when the sandbox failed.
 */
export async function runAgent(deps: RunAgentDeps, request: AgentRunRequest): Promise<AgentRunResult> {
  const { group } = request;
  const session = await deps.sessions.getOrCreate(group.id, request.sessionKey);
  if (request.fresh) await deps.sessions.startFresh(session.id);
  const provider = deps.resolver.resolve({ session, group }).id;
  const continuation = request.fresh ? undefined : await deps.sessions.getContinuation(session.id, provider);
  const context = createActionContext({
    groupId: group.id,
    runId: request.runId,
    ...(request.chat ? { chat: request.chat } : {}),
    ...(request.requester ? { requester: request.requester } : {}),
  });
  const log = deps.logger.child({ group: group.folder, session: session.id, provider, run: request.runId });
  let acquired: Awaited<ReturnType<AgentPool['acquire']>>;
  try {
    acquired = await deps.pool.acquire({
      group,
      session,
      provider,
      ...(continuation ? { continuation } : {}),
      onAction: deps.actions.forRun(context),
    });
  } catch (error) {
    const message = `the sandbox could not start: ${errorMessage(error)}`;
    if (isAgentPoolError(error) && PERMANENT_POOL_ERRORS.has(error.code))
      throw new PermanentRunError(message);
    // No sandbox runtime is usable (none installed, the engine stopped): retrying only delays the answer.
    if (isSandboxError(error, 'runtime-unavailable')) throw new PermanentRunError(error.message);
    // A mount failed its check at the spawn (e.g. a source turned into a symlink): the message says which.
    if (isSandboxError(error, 'mount-refused')) throw new PermanentRunError(message);
    // The runner carries no such provider (an old image, a typo in the group's settings): no retry can fix that.
    if ((error as { code?: unknown }).code === RunnerErrorCode.providerNotInstalled)
      throw new PermanentRunError(message);
    throw new RetryableRunError(message, { cause: error });
  }
  const { sandbox } = acquired;
  if (continuation && !acquired.resumed) {
    log.warn('stored conversation could not be resumed; started a fresh one');
    await deps.sessions.clearContinuation(session.id, provider);
  }
  // Stopping already (the drain's deadline passed while the sandbox started): the next start runs the turn.
  if (request.signal.aborted) throw new RetryableRunError(whyAborted(request.signal));
  log.info({ spawned: acquired.spawned }, 'run start');
  const errors: AgentRunResult['errors'] = [];
  /** Why the run will not finish in this try; nothing of it after that is an answer. */
  let unfinished: string | undefined;
  const detach = request.attachFollowUps?.((input) => sandbox.push(input));
  try {
    for await (const event of sandbox.run(request.input, { signal: request.signal })) {
      if (unfinished !== undefined) continue;
      unfinished = whyUnfinished(event, request.signal);
      if (unfinished !== undefined) continue;
      if (event.type === 'error') errors.push({ message: event.message, code: event.code });
      if (event.type === 'usage')
        await recordUsage(deps, { groupId: group.id, sessionId: session.id, provider }, event, log);
      await request.onEvent(event);
    }
  } finally {
    detach?.();
    if (sandbox.continuation)
      await deps.sessions.saveContinuation(session.id, provider, sandbox.continuation);
    await deps.sessions.touch(session.id);
  }
  if (unfinished !== undefined) {
    log.warn({ reason: unfinished }, 'run stopped before it finished; it will run again');
    await deps.pool.discard(session.id);
    throw new RetryableRunError(unfinished);
  }
  log.info({ errors: errors.length }, 'run end');
  return { provider, errors };
}

/** Stores a `usage` event's tokens; a failed write is logged, never the run's failure. */
async function recordUsage(
  deps: RunAgentDeps,
  owner: { groupId: string; sessionId: string; provider: string },
  event: Extract<AgentEvent, { type: 'usage' }>,
  log: Logger,
): Promise<void> {
  try {
    await deps.usage?.record({
      ...owner,
      inputTokens: event.inputTokens,
      cachedInputTokens: event.cachedInputTokens,
      outputTokens: event.outputTokens,
      recordedAt: Date.now(),
    });
  } catch (error) {
    log.warn({ err: error }, 'could not record token usage');
  }
}

/**
 * Why an event means the run does not finish in this try: the sandbox ended it (a retryable sandbox error), or the
 * host itself is stopping it (shutdown or cancel aborted `signal`) and the turn ended interrupted. Such a turn is
 * never delivered as the answer: its message stays open and runs again (after the restart, on shutdown).
 */
function whyUnfinished(event: AgentEvent, signal: AbortSignal): string | undefined {
  if (event.type === 'error' && RETRYABLE_CODES.has(event.code)) return event.message;
  if (event.type === 'turn-end' && event.status === 'interrupted' && signal.aborted)
    return whyAborted(signal);
  return undefined;
}

function whyAborted(signal: AbortSignal): string {
  return `the run was interrupted: ${(signal.reason as Error | undefined)?.message ?? 'aborted'}`;
}
