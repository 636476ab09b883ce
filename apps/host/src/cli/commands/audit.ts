import type { Command } from 'commander';
import type { AuditQueryInput, AuditView } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeResult } from '../cli-io.js';
import { parseDuration } from '../duration.js';
import { formatTable, formatTime, truncate } from '../format.js';

interface AuditOptions {
  group?: string;
  since?: string;
  limit?: string;
  json?: boolean;
}

/** Most entries the host gives in one listing. */
const MAX_LIMIT = 5_000;

export function registerAuditCommand(program: Command, deps: CliDeps, context: CliContext): void {
  program
    .command('audit')
    .description('the audit log, newest first: gate decisions, approvals, questions, role and access changes')
    .option('--group <folder>', 'only this group’s entries')
    .option('--since <when>', 'only entries since a duration ago (2h, 1d) or an ISO time')
    .option('--limit <n>', `at most this many entries (default 200, at most ${MAX_LIMIT})`)
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: AuditOptions) => {
        const entries = await context.client().listAudit(auditQuery(options));
        writeResult(context.stdout, options.json, entries, (list) =>
          list.length === 0 ? 'no audit entries' : auditTable(list, context.config().TZ),
        );
        return 0;
      }),
    );
}

export function auditQuery(options: AuditOptions, now = Date.now()): AuditQueryInput {
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && (!/^\d+$/.test(options.limit ?? '') || limit < 1 || limit > MAX_LIMIT)) {
    throw new CliError(
      `--limit must be a whole number from 1 to ${MAX_LIMIT} (got "${options.limit}")`,
      EXIT.usage,
    );
  }
  return {
    ...(options.group === undefined ? {} : { folder: options.group }),
    ...(options.since === undefined ? {} : { since: parseSince(options.since, now) }),
    ...(limit === undefined ? {} : { limit }),
  };
}

/** `2h` (that long ago) or an ISO time → epoch ms. */
function parseSince(value: string, now: number): number {
  const ago = parseDuration(value);
  if (ago !== undefined) return now - ago;
  const at = /^\d{4}-\d\d-\d\d/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isFinite(at)) return at;
  throw new CliError(
    `--since must be a duration such as 30m, 2h or 1d, or an ISO time such as 2030-01-01T09:00Z (got "${value}")`,
    EXIT.usage,
  );
}

export function auditTable(entries: AuditView[], timeZone: string): string {
  return formatTable(
    ['TIME', 'KIND', 'ACTION', 'GROUP', 'ACTOR', 'SUBJECT', 'DETAIL'],
    entries.map((entry) => [
      formatTime(entry.at, timeZone),
      entry.kind,
      entry.action,
      entry.group ?? '-',
      entry.actor ?? '-',
      entry.subject ?? '-',
      describeDetail(entry.detail),
    ]),
  );
}

/** `key=value …`, shortened (the whole detail is in `--json`). */
function describeDetail(detail: Record<string, unknown>): string {
  const parts = Object.entries(detail)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length === 0 ? '-' : truncate(parts.join(' '), 60);
}
