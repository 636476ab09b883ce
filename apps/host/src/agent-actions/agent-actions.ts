import { type AgentAction, type AgentActionResult, agentActionSchema } from '@nanoclaw/core';
import { isGroupError } from '../groups/index.js';
import { type ActionContext, ActionError, fail, ok } from './action-context.js';
import type { ActionScope, AgentActionsOptions } from './action-deps.js';
import { listChats, registerGroup } from './group-actions.js';
import { askUserQuestion } from './question-actions.js';
import { sendMessage } from './send-message.js';
import { listTasks, runTaskCommand, scheduleTask } from './task-actions.js';

export interface AgentActions {
  /**
   * Validates and authorizes one agent tool call for the context's group, and carries it out. Never throws:
   * refusals, bad input and failures all come back as `{ ok: false, error }`.
   */
  handle(ctx: ActionContext, action: unknown): Promise<AgentActionResult>;
  /** `handle` bound to one context (one try of a run): fits the sandbox connection's `onAction`. */
  forRun(ctx: ActionContext): (action: unknown) => Promise<AgentActionResult>;
}

/**
 * The host side of the agent's tools. Authorization: the main group may message any registered chat, schedule
 * for and manage any group's tasks, register groups and list chats; every other group only its own chats and
 * tasks, and neither registers groups nor lists chats.
 */
export function createAgentActions(options: AgentActionsOptions): AgentActions {
  const nextKey = (ctx: ActionContext) => () => {
    ctx.sends.count += 1;
    return `agent:${ctx.runId}:send:${ctx.sends.count}`;
  };

  function dispatch(scope: ActionScope, ctx: ActionContext, action: AgentAction): Promise<unknown> {
    switch (action.tool) {
      case 'send_message':
        return sendMessage(scope, ctx, action, nextKey(ctx));
      case 'schedule_task':
        return scheduleTask(scope, action);
      case 'list_tasks':
        return listTasks(scope);
      case 'pause_task':
      case 'resume_task':
      case 'cancel_task':
      case 'update_task':
        return runTaskCommand(scope, action);
      case 'register_group':
        return registerGroup(scope, action);
      case 'list_chats':
        return listChats(scope);
      case 'ask_user_question':
        return askUserQuestion(scope, ctx, action);
    }
  }

  async function handle(ctx: ActionContext, input: unknown): Promise<AgentActionResult> {
    const parsed = agentActionSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(
        `invalid action: ${issue?.path.join('.') || '(action)'}: ${issue?.message ?? 'is invalid'}`,
      );
    }
    const action = parsed.data;
    const log = options.logger.child({ groupId: ctx.groupId, runId: ctx.runId, tool: action.tool });
    try {
      const group = await options.registry.getById(ctx.groupId);
      if (!group) return fail('this group is no longer registered');
      const result = await dispatch({ deps: options, group }, ctx, action);
      log.debug('agent action done');
      return ok(result);
    } catch (error) {
      if (error instanceof ActionError || isGroupError(error)) {
        log.info({ refusal: error.message }, 'agent action refused');
        return fail(error.message);
      }
      log.error({ err: error }, 'agent action failed');
      return fail(`the host could not complete ${action.tool}; the error is in the host log`);
    }
  }

  return { handle, forRun: (ctx) => (action) => handle(ctx, action) };
}
