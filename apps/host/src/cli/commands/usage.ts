import type { Command } from 'commander';
import type { UsageView } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeResult } from '../cli-io.js';
import { formatTable } from '../format.js';

/** `nanoclaw usage`: tokens per UTC day, group and provider. */
export function registerUsageCommand(program: Command, deps: CliDeps, context: CliContext): void {
  program
    .command('usage')
    .description('token usage per day (UTC), group and provider')
    .option('--days <n>', 'how many days back, today included (1-366, default 30)')
    .option('--group <folder>', 'only this group')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: { days?: string; group?: string; json?: boolean }) => {
        const usage = await context.client().listUsage({
          days: parseDays(options.days),
          ...(options.group === undefined ? {} : { folder: options.group }),
        });
        writeResult(context.stdout, options.json, usage, usageTable);
        return 0;
      }),
    );
}

export function usageTable(rows: UsageView[]): string {
  if (rows.length === 0) return 'no token usage recorded in these days';
  const total = (key: 'inputTokens' | 'cachedInputTokens' | 'outputTokens') =>
    rows.reduce((sum, row) => sum + row[key], 0);
  return formatTable(
    ['DAY', 'GROUP', 'PROVIDER', 'INPUT', 'CACHED', 'OUTPUT'],
    [
      ...rows.map((row) => [
        row.day,
        row.folder,
        row.provider,
        count(row.inputTokens),
        count(row.cachedInputTokens),
        count(row.outputTokens),
      ]),
      [
        'total',
        '',
        '',
        count(total('inputTokens')),
        count(total('cachedInputTokens')),
        count(total('outputTokens')),
      ],
    ],
  );
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

function parseDays(value: string | undefined): number {
  if (value === undefined) return 30;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new CliError(`--days must be a whole number from 1 to 366 (got "${value}")`, EXIT.usage);
  }
  return days;
}
