import type { ScheduledTask } from '@nanoclaw/core';

/** A task as the agent sees it: its group by folder, times as ISO strings. */
export interface AgentTaskView {
  id: string;
  folder: string;
  prompt: string;
  schedule: ScheduledTask['schedule'];
  timezone: string;
  contextMode: ScheduledTask['contextMode'];
  status: ScheduledTask['status'];
  nextRun: string | null;
  lastRun: string | null;
}

export function toAgentTaskView(task: ScheduledTask, folderOf: (groupId: string) => string): AgentTaskView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: task.id,
    folder: folderOf(task.groupId),
    prompt: task.prompt,
    schedule: task.schedule,
    timezone: task.timezone,
    contextMode: task.contextMode,
    status: task.status,
    nextRun: iso(task.nextRun),
    lastRun: iso(task.lastRun),
  };
}
