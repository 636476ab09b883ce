import { type AgentActionResult, NanoclawError } from '@nanoclaw/core';
import type { ChatRef } from '../groups/index.js';

/**
 * Who is asking, for one try of one run. Built by the host when it spawns the sandbox and starts a run (with
 * `createActionContext`) — never from anything the agent sends, so an agent cannot claim another group.
 */
export interface ActionContext {
  /** The group bound to the sandbox connection. */
  readonly groupId: string;
  /**
   * The run the actions belong to. Send idempotency keys are `agent:<runId>:send:<n>`, `n` counting this
   * context's sends from 1. Use an id that stays the same when the same work is tried again (e.g. the queue item
   * id) and a new context per try: a retry, or a re-run after a crash, then re-sends nothing already queued.
   */
  readonly runId: string;
  /** The chat the run answers: the default target of `send_message`. Absent for runs that answer no chat. */
  readonly chat?: ChatRef;
  /** Sends so far in this context (the `n` of the next key is this + 1). */
  readonly sends: { count: number };
  /**
   * The user whose message the run answers (`<channel>:<sender id>`): the one person who may answer the agent's
   * questions. Absent for runs no person started (scheduled tasks): then anyone in the chat may answer.
   */
  readonly requester?: string;
}

export function createActionContext(input: {
  groupId: string;
  runId: string;
  chat?: ChatRef;
  requester?: string;
}): ActionContext {
  return { ...input, sends: { count: 0 } };
}

/** A refusal or bad request, reported to the agent as `{ ok: false, error }`. */
export class ActionError extends NanoclawError<'action-refused'> {
  override readonly name = 'ActionError';
  constructor(message: string) {
    super('action-refused', message);
  }
}

export const ok = (result: unknown): AgentActionResult => ({ ok: true, result });
export const fail = (error: string): AgentActionResult => ({ ok: false, error });

export const MAIN_ONLY = (what: string) => `only the main group can ${what}`;
