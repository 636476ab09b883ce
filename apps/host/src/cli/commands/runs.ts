import type { Command } from 'commander';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeResult } from '../cli-io.js';
import { runsTable } from '../format.js';

export function registerRunsCommand(program: Command, deps: CliDeps, context: CliContext): void {
  const runs = program.command('runs').description('task run history');
  runs
    .command('list')
    .description('list recent task runs, newest first')
    .option('--task <id>', 'only this task’s runs')
    .option('--limit <n>', 'how many (1-1000, default 20)')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: { task?: string; limit?: string; json?: boolean }) => {
        const limit = parseLimit(options.limit);
        const list = await context.client().listRuns({
          ...(options.task === undefined ? {} : { taskId: options.task }),
          limit,
        });
        writeResult(context.stdout, options.json, list, (runs) =>
          runs.length === 0 ? 'no runs' : runsTable(runs, context.config().TZ),
        );
        return 0;
      }),
    );
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 20;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new CliError(`--limit must be a whole number from 1 to 1000 (got "${value}")`, EXIT.usage);
  }
  return limit;
}
