import type { AgentAction } from '@nanoclaw/core';
import { type ActionContext, ActionError } from './action-context.js';
import type { ActionScope } from './action-deps.js';

type AskUserQuestion = Extract<AgentAction, { tool: 'ask_user_question' }>;

/** The wait when the agent names none. */
export const DEFAULT_QUESTION_TIMEOUT_S = 300;

/**
 * Shows the question with its options in the run's own chat (never another: a question is for the person the
 * agent is talking to) and resolves with the choice, or with the timeout. Only the person whose message started
 * the run may answer (anyone in the chat for runs no person started).
 */
export async function askUserQuestion(
  scope: ActionScope,
  ctx: ActionContext,
  action: AskUserQuestion,
): Promise<unknown> {
  const { questions } = scope.deps;
  if (!questions) throw new ActionError('this host does not take questions');
  if (!ctx.chat) throw new ActionError('this run answers no chat, so there is nobody to ask');
  if (new Set(action.options.map((o) => o.toLowerCase())).size !== action.options.length) {
    throw new ActionError('options must be different from each other');
  }
  const timeoutS = action.timeoutS ?? DEFAULT_QUESTION_TIMEOUT_S;
  const outcome = await questions.ask({
    group: scope.group,
    chat: ctx.chat,
    question: action.question,
    options: action.options,
    timeoutMs: timeoutS * 1000,
    askedUser: ctx.requester ?? null,
    runId: ctx.runId,
  });
  if (outcome.answered) return { answered: true, answer: outcome.label, option: outcome.option };
  return outcome.reason === 'timeout'
    ? { answered: false, reason: 'timeout', note: `nobody answered within ${timeoutS} s` }
    : { answered: false, reason: 'cancelled', note: 'the question was cancelled (the host is stopping)' };
}
