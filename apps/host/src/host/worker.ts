import type { AgentEvent, Logger, TurnInput } from '@nanoclaw/core';
import type { GroupWorker, WorkerContext } from '@nanoclaw/group-queue';
import type { Scheduler } from '@nanoclaw/scheduler';
import type { FailureReporter, Outbox } from '../delivery/index.js';
import {
  type ChatRef,
  formatConfigIssue,
  type GroupRegistry,
  localChatRef,
  outboundAddress,
  sameChat,
} from '../groups/index.js';
import type { HostEventBus } from '../local-channel/index.js';
import type { Transcriber } from '../media/transcriber.js';
import { senderUserId } from '../people/index.js';
import { buildTurnPrompt, type Inbox, type StoredInbound, type Turn } from '../routing/index.js';
import { type RunAgentDeps, runAgent } from './run-agent.js';
import { prepareTurnMedia, type TurnMediaDeps } from './turn-media.js';
import { PermanentRunError, type TaskRunRef, type WorkPayload } from './work.js';

export interface WorkerDeps extends RunAgentDeps {
  registry: GroupRegistry;
  inbox: Inbox;
  outbox: Pick<Outbox, 'enqueue'>;
  reporter: FailureReporter;
  scheduler: Pick<Scheduler, 'completeRun'>;
  bus: HostEventBus;
  timezone: string;
  /** The platform ids an outbound reply answers, by idempotency key (read by the local channel). */
  replyTargets: Map<string, string[]>;
  /** Turns of the group's active run, so the host hands a same-chat follow-up to it instead of queueing. */
  activeTurns: Map<string, Turn>;
  /** Puts a turn the active run cannot take back in the queue. */
  requeue: (turn: Turn) => void;
  /** Inbound files: fetched into the group's inbox before the prompt is built (unset: the prompt names them only). */
  media?: TurnMediaDeps;
  /** Voice notes' speech to text (`TRANSCRIBE_BASE_URL`); unset: the agent gets the audio file only. */
  transcriber?: Transcriber | undefined;
  logger: Logger;
}

type Context = WorkerContext<WorkPayload, Turn>;

/** The group queue's worker: one chat turn (with its follow-ups) or one scheduled task run per item. */
export function createWorker(deps: WorkerDeps): GroupWorker<WorkPayload, Turn> {
  return async (ctx) => {
    const payload = ctx.item.payload;
    if (payload.kind === 'turn') await runTurn(deps, ctx, payload.turn);
    else await runTask(deps, ctx, payload.run);
  };
}

async function runTurn(deps: WorkerDeps, ctx: Context, turn: Turn): Promise<void> {
  const group = await deps.registry.getById(turn.groupId);
  if (!group) {
    await deps.inbox.markFailed(turn.messageIds, 'the group no longer exists');
    return;
  }
  if (group.configError) {
    const problem = formatConfigIssue(group.configError);
    await deps.inbox.markFailed(turn.messageIds, problem);
    const inReplyTo = await platformIds(deps.inbox, turn.messageIds);
    deps.bus.publish({ type: 'error', folder: group.folder, message: problem, inReplyTo });
    return;
  }
  const claimed = await deps.inbox.markProcessing(turn.messageIds);
  const runId = ctx.item.id;
  if (claimed.length === 0) {
    // Answered already: before a restart, or by an earlier try of this run whose follow-ups were queued anew.
    // A client that saw that try fail (`run-retry`) learns that the run is over.
    deps.bus.publish({ type: 'run-end', folder: group.folder, runId, status: 'succeeded' });
    return;
  }
  // Only what this try claimed: after a restart one message can be in two queued turns (the recovered queue item
  // and the inbox's recovery turn); whichever runs second must not put the already-answered one in its prompt.
  const run: RunOf = { group, signal: ctx.signal };
  const input = await turnInputOf(deps, { ...turn, messageIds: claimed.map((m) => m.id) }, claimed, run);
  const pending: PendingTurn[] = [{ turn, inReplyTo: claimed.map((m) => m.message.platformMessageId) }];
  deps.activeTurns.set(group.id, turn);
  deps.bus.publish({
    type: 'run-start',
    folder: group.folder,
    runId,
    inReplyTo: pending[0]?.inReplyTo ?? [],
  });
  let index = 0;
  const answer = async (event: TurnEnd, lastError: string | undefined) => {
    const current = pending.shift();
    const key = `${runId}:${index++}`;
    const target = current?.turn ?? turn;
    const inReplyTo = current?.inReplyTo ?? [];
    await answerTurn(deps, { group, chat: target.chat, key, inReplyTo, event, lastError });
    if (event.status === 'failed') await deps.inbox.markFailed(target.messageIds, lastError ?? 'failed');
    else await deps.inbox.markDone(target.messageIds);
  };
  try {
    let failed: boolean;
    try {
      const result = await runAgent(deps, {
        group,
        sessionKey: turn.sessionKey,
        runId,
        chat: turn.chat,
        ...requesterOf(claimed),
        input,
        signal: ctx.signal,
        onEvent: streamTurns(deps, group.folder, runId, answer),
        attachFollowUps: (push) =>
          ctx.inputs.subscribe(() => {
            // followUp never rejects (tested): a follow-up it cannot join is queued again.
            for (const next of ctx.inputs.take()) void followUp(deps, next, turn, push, pending, run);
          }),
      });
      failed = result.errors.length > 0;
    } catch (error) {
      if (!(error instanceof PermanentRunError)) throw error;
      // A setup problem no retry fixes (no usable sandbox runtime, ...): the user hears it now, not after retries.
      await answer(
        { type: 'turn-end', turnId: `${runId}-not-started`, status: 'failed', text: '' },
        error.message,
      );
      failed = true;
    }
    deps.bus.publish({
      type: 'run-end',
      folder: group.folder,
      runId,
      status: failed ? 'failed' : 'succeeded',
    });
  } finally {
    deps.activeTurns.delete(group.id);
    // Follow-ups the run took but never answered (it failed) go back to the queue, and out of `pending`.
    for (const left of [...ctx.inputs.close(), ...pending.splice(1).map((p) => p.turn)]) deps.requeue(left);
  }
}

interface PendingTurn {
  turn: Turn;
  inReplyTo: string[];
}

/** The running turn's group and abort signal: a follow-up's files are fetched into that group's folder. */
interface RunOf {
  group?: { id: string; folder: string };
  signal: AbortSignal;
}

const NO_MEDIA_RUN: RunOf = { signal: new AbortController().signal };

/**
 * The runtime's input for a turn's claimed messages: their files fetched into the run's group folder (when the
 * run's group is known), then the prompt naming them, and the saved files.
 */
async function turnInputOf(
  deps: WorkerDeps,
  turn: Turn,
  claimed: readonly StoredInbound[],
  run: RunOf,
): Promise<TurnInput> {
  const media = run.group
    ? await prepareTurnMedia(deps, {
        group: run.group,
        chat: turn.chat,
        messages: claimed,
        signal: run.signal,
      })
    : undefined;
  const prompt = await buildTurnPrompt(
    { inbox: deps.inbox, timezone: deps.timezone, ...(media ? { media: media.byMessage } : {}) },
    turn,
  );
  const attachments = media?.attachments ?? [];
  return attachments.length > 0 ? { text: prompt.text, attachments } : { text: prompt.text };
}
/**
 * A follow-up for the same chat and session joins the run; anything else waits its turn in the queue. Never
 * rejects: a follow-up the run cannot take (it ended, its runner died, the database failed) is queued again, and
 * its messages, stored in the inbox, are answered by that turn or after a restart.
 */
export async function followUp(
  deps: WorkerDeps,
  next: Turn,
  active: Turn,
  push: (input: TurnInput) => Promise<boolean>,
  pending: PendingTurn[],
  run: RunOf = NO_MEDIA_RUN,
): Promise<void> {
  if (!sameChatAndSession(next, active)) {
    deps.requeue(next);
    return;
  }
  try {
    if (await joinRun(deps, next, active, push, pending, run)) return;
  } catch (error) {
    deps.logger.warn(
      { err: error, group: next.groupId, messages: next.messageIds.length },
      'a follow-up could not join the running turn; queued again',
    );
  }
  deps.requeue(next);
}

/**
 * Claims the follow-up's messages and pushes them into the run. False when the run did not take them (its entry
 * is then out of `pending`); true when it did, when there was nothing left to claim, or when the run's end
 * already put its entry back in the queue.
 */
async function joinRun(
  deps: WorkerDeps,
  next: Turn,
  active: Turn,
  push: (input: TurnInput) => Promise<boolean>,
  pending: PendingTurn[],
  run: RunOf,
): Promise<boolean> {
  // Messages this run already has (after a restart the inbox's recovery turn repeats those of the recovered queue
  // item that is running) are not claimed again: they would be answered twice.
  const taken = new Set([active, ...pending.map((p) => p.turn)].flatMap((t) => t.messageIds));
  const claimed = await deps.inbox.markProcessing(next.messageIds.filter((id) => !taken.has(id)));
  if (claimed.length === 0) return true;
  const own: Turn = { ...next, messageIds: claimed.map((m) => m.id) };
  const input = await turnInputOf(deps, own, claimed, run);
  const entry = { turn: own, inReplyTo: claimed.map((m) => m.message.platformMessageId) };
  pending.push(entry);
  const accepted = await push(input).catch((error: unknown) => {
    deps.logger.warn({ err: error, group: next.groupId }, 'the running turn did not take a follow-up');
    return false;
  });
  if (accepted) return true;
  const at = pending.indexOf(entry);
  // Already out of `pending`: the run ended and queued it again itself.
  if (at < 0) return true;
  pending.splice(at, 1);
  return false;
}

interface Answer {
  group: { id: string; folder: string };
  chat: ChatRef;
  /** Unique per turn of a run, stable across tries. */
  key: string;
  inReplyTo: string[];
  event: TurnEnd;
  lastError: string | undefined;
}

/** The agent's final text goes to the chat; a failed turn gets a plain error reply instead of silence. */
async function answerTurn(deps: WorkerDeps, answer: Answer): Promise<void> {
  const { group, chat, key, inReplyTo, event } = answer;
  const failed = event.status === 'failed';
  const text = failed
    ? `Sorry, I could not answer that: ${answer.lastError ?? 'the agent failed'}`
    : event.text.trim();
  if (failed)
    deps.bus.publish({
      type: 'error',
      folder: group.folder,
      message: answer.lastError ?? 'failed',
      inReplyTo,
    });
  if (!text) return;
  const idempotencyKey = `${failed ? 'error' : 'reply'}:${key}`;
  deps.replyTargets.set(idempotencyKey, inReplyTo);
  const last = inReplyTo.at(-1);
  await deps.outbox.enqueue({
    ...outboundAddress(chat),
    text,
    idempotencyKey,
    ...(last !== undefined ? { replyToPlatformMessageId: last } : {}),
    groupId: group.id,
  });
}

async function runTask(deps: WorkerDeps, ctx: Context, run: TaskRunRef): Promise<void> {
  const group = await deps.registry.getById(run.groupId);
  if (!group || group.configError) {
    const reason = group?.configError ? formatConfigIssue(group.configError) : 'the group no longer exists';
    await deps.scheduler.completeRun(run.runId, { status: 'failed', error: reason });
    if (group) {
      const ended = {
        folder: group.folder,
        runId: ctx.item.id,
        status: 'failed',
        taskId: run.taskId,
      } as const;
      deps.bus.publish({ type: 'run-end', ...ended });
    }
    return;
  }
  const chat = await defaultChat(deps.registry, group);
  const header = `[Scheduled task ${run.taskId}${run.late ? ', running late after downtime' : ''}]`;
  const runId = ctx.item.id;
  let index = 0;
  let summary = '';
  // Like a chat turn's, so a client sees a task run start and end (it answers no message: no inReplyTo).
  deps.bus.publish({ type: 'run-start', folder: group.folder, runId, inReplyTo: [], taskId: run.taskId });
  const result = await runAgent(deps, {
    group,
    sessionKey: run.contextMode === 'isolated' ? `task:${run.taskId}` : 'main',
    fresh: run.contextMode === 'isolated',
    runId,
    chat,
    input: { text: `${header}\n${run.prompt}` },
    signal: ctx.signal,
    onEvent: streamTurns(deps, group.folder, runId, async (event, lastError) => {
      summary = event.text.slice(0, 500);
      await answerTurn(deps, { group, chat, key: `${runId}:${index++}`, inReplyTo: [], event, lastError });
    }),
  });
  const failure = result.errors.at(-1);
  await deps.scheduler.completeRun(
    run.runId,
    failure ? { status: 'failed', error: failure.message, summary } : { status: 'succeeded', summary },
  );
  deps.bus.publish({
    type: 'run-end',
    folder: group.folder,
    runId,
    status: failure ? 'failed' : 'succeeded',
    taskId: run.taskId,
  });
}

/** Where a group's task results go: its first bound chat, else its local chat. */
export async function defaultChat(
  registry: GroupRegistry,
  group: { id: string; folder: string },
): Promise<ChatRef> {
  const [binding] = await registry.listBindings({ groupId: group.id });
  if (!binding) return localChatRef(group.folder);
  return { channel: binding.channel, accountId: binding.accountId, chatId: binding.chatId };
}

/** Same group, chat, thread and session: a follow-up the active run can take. */
export function sameChatAndSession(a: Turn, b: Turn): boolean {
  return (
    a.groupId === b.groupId &&
    a.sessionKey === b.sessionKey &&
    sameChat(a.chat, b.chat) &&
    a.chat.threadId === b.chat.threadId
  );
}

async function platformIds(inbox: Inbox, ids: readonly number[]): Promise<string[]> {
  return (await inbox.getMany(ids)).map((m) => m.message.platformMessageId);
}

type TurnEnd = Extract<AgentEvent, { type: 'turn-end' }>;

/**
 * A run's event handler: text deltas go to the live stream, and each finished turn is handed to `onTurnEnd`
 * with the error the agent reported during it (if any).
 */
function streamTurns(
  deps: Pick<WorkerDeps, 'bus'>,
  folder: string,
  runId: string,
  onTurnEnd: (event: TurnEnd, lastError: string | undefined) => Promise<void>,
): (event: AgentEvent) => Promise<void> {
  let lastError: string | undefined;
  return async (event) => {
    if (event.type === 'text-delta')
      deps.bus.publish({ type: 'text-delta', folder, runId, delta: event.delta });
    else if (event.type === 'tool-call')
      deps.bus.publish({
        type: 'tool-call',
        folder,
        runId,
        name: event.name,
        kind: event.kind,
        summary: toolCallSummary(event.input),
      });
    else if (event.type === 'error') lastError = event.message;
    else if (event.type === 'turn-end') {
      const error = lastError;
      lastError = undefined;
      await onTurnEnd(event, error);
    }
  };
}

/** The longest `summary` of a `tool-call` event. */
export const TOOL_CALL_SUMMARY_MAX = 120;

/** A tool call's input on one line, at most 120 characters: a command as it is (argv joined), anything else as JSON. */
export function toolCallSummary(input: unknown): string {
  const command = (input as { command?: unknown } | null)?.command;
  const argv = Array.isArray(command) && command.every((part) => typeof part === 'string');
  const text =
    typeof input === 'string'
      ? input
      : typeof command === 'string'
        ? command
        : argv
          ? command.join(' ')
          : (JSON.stringify(input) ?? '');
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > TOOL_CALL_SUMMARY_MAX ? `${flat.slice(0, TOOL_CALL_SUMMARY_MAX - 1)}…` : flat;
}

/** The sender of the turn's last message, as a user id: who may answer the agent's questions in this run. */
function requesterOf(messages: readonly StoredInbound[]): { requester?: string } {
  const last = messages.at(-1)?.message;
  return last && last.sender.isBot !== true ? { requester: senderUserId(last.channel, last.sender.id) } : {};
}
