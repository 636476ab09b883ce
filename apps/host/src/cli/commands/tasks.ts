import type { Schedule, TaskStatus } from '@nanoclaw/core';
import { MIN_ID_PREFIX } from '@nanoclaw/scheduler';
import type { Command } from 'commander';
import type { AddTaskInput, TaskView } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeLine, writeResult } from '../cli-io.js';
import { parseDuration } from '../duration.js';
import { describeSchedule, describeTask, formatTime, tasksTable } from '../format.js';
import type { TaskAction } from '../host-client.js';

interface AddOptions {
  group: string;
  prompt: string;
  cron?: string;
  every?: string;
  at?: string;
  tz?: string;
  context?: string;
  dryRun?: boolean;
  json?: boolean;
}

const STATUSES: readonly TaskStatus[] = ['active', 'paused', 'completed', 'cancelled'];

export function registerTasksCommand(program: Command, deps: CliDeps, context: CliContext): void {
  const tasks = program.command('tasks').description('scheduled tasks: list, add, pause, resume, cancel');
  tasks
    .command('list')
    .description('list scheduled tasks')
    .option('--group <folder>', 'only this group’s tasks')
    .option('--status <status>', `only tasks in this status (${STATUSES.join(', ')})`)
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: { group?: string; status?: string; json?: boolean }) => {
        const status = parseStatus(options.status);
        const list = await context.client().listTasks({
          ...(options.group === undefined ? {} : { folder: options.group }),
          ...(status === undefined ? {} : { status }),
        });
        writeResult(context.stdout, options.json, list, (tasks) =>
          tasks.length === 0 ? 'no tasks' : tasksTable(tasks, context.config().TZ),
        );
        return 0;
      }),
    );
  tasks
    .command('add')
    .description('schedule a prompt for a group: --cron, --every or --at')
    .requiredOption('--group <folder>', 'the group the task runs in')
    .requiredOption('--prompt <text>', 'what the agent is asked each time')
    .option('--cron <expression>', 'cron expression, 5 fields (minute first) or 6 (seconds first)')
    .option('--every <duration>', 'a fixed interval such as 15m, 1h30m, 1d')
    .option('--at <iso>', 'once, at an ISO 8601 time still to come (without an offset: in --tz)')
    .option('--tz <zone>', 'IANA time zone for --cron and --at (default: the host’s TZ)')
    .option('--context <mode>', 'group (reuse the group’s session) or isolated (fresh session each run)')
    .option('--dry-run', 'check the task and show its next runs; add nothing')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: AddOptions) => {
        const input = addTaskInput(options);
        const timeZone = context.config().TZ;
        if (options.dryRun) {
          const task = await context.client().previewTask(input);
          writeResult(context.stdout, options.json, task, (preview) => describePreview(preview, timeZone));
          return 0;
        }
        const task = await context.client().addTask(input);
        writeResult(
          context.stdout,
          options.json,
          task,
          (added) => `added task ${describeTask(added, timeZone)}`,
        );
        return 0;
      }),
    );
  for (const verb of ['pause', 'resume', 'cancel'] as const) registerTaskAction(tasks, verb, deps, context);
}

function registerTaskAction(tasks: Command, verb: TaskAction, deps: CliDeps, context: CliContext): void {
  tasks
    .command(`${verb} <id>`)
    .description(`${verb} a task: its id, or a unique start of it (at least ${MIN_ID_PREFIX} characters)`)
    .action(
      action(deps, context, async (id: string) => {
        const task = await context.client().taskAction(id, verb);
        writeLine(context.stdout, describeTask(task, context.config().TZ));
        return 0;
      }),
    );
}

/** What `tasks add --dry-run` says: the schedule and the next runs, and that nothing was added. */
function describePreview(task: TaskView, timeZone: string): string {
  const runs = task.nextRuns.map((at) => formatTime(at, timeZone));
  return [
    `would add a task to ${task.folder}: ${describeSchedule(task.schedule)} (${task.timezone})`,
    `next runs: ${runs.length === 0 ? 'none' : runs.join(', ')} (${timeZone})`,
    'nothing was added (--dry-run)',
  ].join('\n');
}

export function addTaskInput(options: AddOptions): AddTaskInput {
  const contextMode = options.context;
  if (contextMode !== undefined && contextMode !== 'group' && contextMode !== 'isolated') {
    throw new CliError(`--context must be group or isolated (got "${contextMode}")`, EXIT.usage);
  }
  return {
    folder: options.group,
    prompt: options.prompt,
    schedule: parseSchedule(options),
    ...(options.tz === undefined ? {} : { timezone: options.tz }),
    ...(contextMode === undefined ? {} : { contextMode }),
  };
}

function parseSchedule(options: Pick<AddOptions, 'cron' | 'every' | 'at'>): Schedule {
  const given = [options.cron, options.every, options.at].filter((value) => value !== undefined);
  if (given.length !== 1) {
    throw new CliError(
      'give exactly one of --cron <expression>, --every <duration> or --at <iso time>',
      EXIT.usage,
    );
  }
  if (options.cron !== undefined) return { kind: 'cron', expression: options.cron };
  if (options.every !== undefined) {
    const everyMs = parseDuration(options.every);
    if (everyMs === undefined) {
      throw new CliError(
        `--every must be a duration such as 15m, 1h30m or 2d (got "${options.every}")`,
        EXIT.usage,
      );
    }
    return { kind: 'interval', everyMs };
  }
  return { kind: 'once', at: options.at ?? '' };
}

function parseStatus(value: string | undefined): TaskStatus | undefined {
  if (value === undefined) return undefined;
  const status = STATUSES.find((candidate) => candidate === value);
  if (!status)
    throw new CliError(`--status must be one of ${STATUSES.join(', ')} (got "${value}")`, EXIT.usage);
  return status;
}
