import type { Schedule, TaskRunLog } from '@nanoclaw/core';
import { describeProvider } from '../groups/index.js';
import type { GroupView, TaskView } from '../host-api.js';
import { formatWallClock } from '../routing/index.js';
import { formatDuration } from './duration.js';

/** Left-aligned columns separated by two spaces; the header row comes first. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, index) =>
    Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `2030-01-02 03:04` in the given time zone; `-` for null. */
export function formatTime(ms: number | null, timeZone: string): string {
  return ms === null ? '-' : formatWallClock(ms, timeZone);
}

export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'cron':
      return `cron ${schedule.expression}`;
    case 'interval':
      return `every ${formatDuration(schedule.everyMs)}`;
    case 'once':
      return `once at ${schedule.at}`;
  }
}

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function describeChats(chats: GroupView['chats']): string {
  if (chats.length === 0) return '-';
  return chats
    .map((chat) => `${chat.channel}:${chat.chatId}${chat.name ? ` (${chat.name})` : ''}`)
    .join(', ');
}

export function groupsTable(groups: GroupView[]): string {
  return formatTable(
    ['FOLDER', 'NAME', 'PROVIDER', 'TRIGGER', 'ACCESS', 'CHATS'],
    groups.map((group) => [
      `${group.folder}${group.isMain ? ' *' : ''}`,
      group.name,
      describeProvider(group.provider),
      group.trigger,
      group.access,
      describeChats(group.chats),
    ]),
  );
}

export function configErrorLines(groups: GroupView[]): string[] {
  return groups
    .filter((group) => group.configError !== undefined)
    .map(
      (group) =>
        `✗ ${group.folder}: groups/${group.folder}.container.json is invalid, the group is not served: ${group.configError}`,
    );
}

export function tasksTable(tasks: TaskView[], timeZone: string): string {
  return formatTable(
    ['ID', 'GROUP', 'STATUS', 'SCHEDULE', 'NEXT RUN', 'PROMPT'],
    tasks.map((task) => [
      task.id,
      task.folder,
      task.status,
      `${describeSchedule(task.schedule)}${task.schedule.kind === 'interval' ? '' : ` (${task.timezone})`}`,
      formatTime(task.nextRun, timeZone),
      truncate(task.prompt, 48),
    ]),
  );
}

export function runsTable(runs: TaskRunLog[], timeZone: string): string {
  return formatTable(
    ['ID', 'TASK', 'STATUS', 'STARTED', 'TOOK', 'RESULT'],
    runs.map((run) => [
      run.id,
      run.taskId,
      `${run.status}${run.late ? ' (late)' : ''}`,
      formatTime(run.startedAt, timeZone),
      run.durationMs === null ? '-' : formatDuration(run.durationMs),
      truncate(run.error ?? run.resultSummary ?? '', 60),
    ]),
  );
}

export function describeTask(task: TaskView, timeZone: string): string {
  return `${task.id}  ${task.folder}  ${task.status}  ${describeSchedule(task.schedule)}  next: ${formatTime(task.nextRun, timeZone)}`;
}
