export type { ActionContext } from './action-context.js';
export { ActionError, createActionContext } from './action-context.js';
export type { AgentActionsOptions } from './action-deps.js';
export type { AgentActions } from './agent-actions.js';
export { createAgentActions } from './agent-actions.js';
export type { AgentTaskView } from './task-view.js';
