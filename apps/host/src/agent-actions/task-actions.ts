import type { AgentAction, ScheduledTask } from '@nanoclaw/core';
import { ScheduleValidationError, type TaskChanges, TaskNotFoundError } from '@nanoclaw/scheduler';
import type { RegisteredGroup } from '../groups/index.js';
import { ActionError, MAIN_ONLY } from './action-context.js';
import type { ActionScope } from './action-deps.js';
import { type AgentTaskView, toAgentTaskView } from './task-view.js';

type ScheduleTask = Extract<AgentAction, { tool: 'schedule_task' }>;
type TaskCommand = Extract<
  AgentAction,
  { tool: 'pause_task' | 'resume_task' | 'cancel_task' | 'update_task' }
>;

async function folderLookup(scope: ActionScope): Promise<(groupId: string) => string> {
  const folders = new Map((await scope.deps.registry.list()).map((g) => [g.id, g.folder]));
  return (groupId) => folders.get(groupId) ?? groupId;
}

async function view(scope: ActionScope, task: ScheduledTask): Promise<AgentTaskView> {
  return toAgentTaskView(task, await folderLookup(scope));
}

/** The main group schedules for any group (`targetGroup`); any other group only for itself. */
async function targetGroup(scope: ActionScope, folder: string | undefined): Promise<RegisteredGroup> {
  if (folder === undefined || folder === scope.group.folder) return scope.group;
  if (!scope.group.isMain) throw new ActionError(MAIN_ONLY('schedule tasks for other groups'));
  const target = await scope.deps.registry.get(folder);
  if (!target) throw new ActionError(`no group with folder ${JSON.stringify(folder)}`);
  return target;
}

/**
 * A non-main group manages the tasks of its own group that it (or the operator) created; a task the main group
 * created for it is visible in `list_tasks` but not its to change. The main group manages every task.
 */
function mayManage(group: RegisteredGroup, task: ScheduledTask): boolean {
  if (group.isMain) return true;
  return task.groupId === group.id && (task.createdByGroupId === null || task.createdByGroupId === group.id);
}

export async function scheduleTask(scope: ActionScope, action: ScheduleTask): Promise<unknown> {
  const target = await targetGroup(scope, action.targetGroup);
  const task = await withSchedulerErrors(() =>
    scope.deps.scheduler.createTask(
      {
        groupId: target.id,
        prompt: action.prompt,
        schedule: action.schedule,
        ...(action.timezone === undefined ? {} : { timezone: action.timezone }),
        ...(action.contextMode === undefined ? {} : { contextMode: action.contextMode }),
        createdByGroupId: scope.group.id,
      },
      { strict: true },
    ),
  );
  return view(scope, task);
}

export async function listTasks(scope: ActionScope): Promise<unknown> {
  const tasks = await scope.deps.scheduler.listTasks(scope.group.isMain ? {} : { groupId: scope.group.id });
  const folderOf = await folderLookup(scope);
  return { tasks: tasks.map((task) => toAgentTaskView(task, folderOf)) };
}

export async function runTaskCommand(scope: ActionScope, action: TaskCommand): Promise<unknown> {
  const { scheduler } = scope.deps;
  const task = await scheduler.getTask(action.taskId);
  if (!task) throw new ActionError(`no task with id ${JSON.stringify(action.taskId)}`);
  if (!mayManage(scope.group, task)) {
    throw new ActionError(
      `task ${JSON.stringify(task.id)} is not this group's; ${MAIN_ONLY("manage other groups' tasks")}`,
    );
  }
  const updated = await withSchedulerErrors(() => {
    switch (action.tool) {
      case 'pause_task':
        return scheduler.pauseTask(task.id);
      case 'resume_task':
        return scheduler.resumeTask(task.id);
      case 'cancel_task':
        return scheduler.cancelTask(task.id);
      case 'update_task':
        return scheduler.updateTask(task.id, changesOf(action));
    }
  });
  return view(scope, updated);
}

function changesOf(action: Extract<AgentAction, { tool: 'update_task' }>): TaskChanges {
  const changes: TaskChanges = {};
  if (action.prompt !== undefined) changes.prompt = action.prompt;
  if (action.schedule !== undefined) changes.schedule = action.schedule;
  if (Object.keys(changes).length === 0) throw new ActionError('update_task needs a new prompt or schedule');
  return changes;
}

/** Scheduler refusals become clear action errors. */
async function withSchedulerErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ScheduleValidationError) throw new ActionError(`invalid task: ${error.message}`);
    if (error instanceof TaskNotFoundError) throw new ActionError(error.message);
    throw error;
  }
}
