import type { Command } from 'commander';
import type { ApprovalView } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeLine, writeResult } from '../cli-io.js';
import { formatTable, formatTime, truncate } from '../format.js';

interface ListOptions {
  all?: boolean;
  group?: string;
  json?: boolean;
}

export function registerApprovalsCommand(program: Command, deps: CliDeps, context: CliContext): void {
  const approvals = program
    .command('approvals')
    .description('access requests and agents’ questions: list, approve, reject, answer (decided as `cli`)');
  approvals
    .command('list')
    .description('list pending approvals (--all: decided ones too), newest first')
    .option('--all', 'every status, not only pending')
    .option('--group <folder>', 'only this group’s')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: ListOptions) => {
        const list = await context.client().listApprovals({
          ...(options.all ? {} : { status: 'pending' }),
          ...(options.group === undefined ? {} : { folder: options.group }),
        });
        writeResult(context.stdout, options.json, list, (all) => {
          if (all.length > 0) return approvalsTable(all, context.config().TZ);
          return options.all ? 'no approvals' : 'no pending approvals';
        });
        return 0;
      }),
    );
  for (const verb of ['approve', 'reject'] as const) {
    approvals
      .command(`${verb} <id>`)
      .description(`${verb} an access request`)
      .action(
        action(deps, context, async (id: string) => {
          writeLine(context.stdout, describeDecision(await context.client().decideApproval(id, verb)));
          return 0;
        }),
      );
  }
  approvals
    .command('answer <id>')
    .description('answer an agent’s question with one of its options (numbered from 1, as `list` shows)')
    .requiredOption('--option <n>', 'the option’s number')
    .action(
      action(deps, context, async (id: string, options: { option: string }) => {
        const option = Number(options.option);
        if (!/^\d+$/.test(options.option) || option < 1) {
          throw new CliError(`--option must be a number from 1 (got "${options.option}")`, EXIT.usage);
        }
        writeLine(context.stdout, describeDecision(await context.client().decideApproval(id, option)));
        return 0;
      }),
    );
}

export function approvalsTable(approvals: ApprovalView[], timeZone: string): string {
  return formatTable(
    ['ID', 'KIND', 'GROUP', 'ABOUT/ASKED', 'QUESTION', 'STATUS', 'EXPIRES/DECIDED BY'],
    approvals.map((approval) => [
      approval.id,
      approval.kind === 'access-request' ? 'access' : 'question',
      approval.group ?? '-',
      approval.kind === 'access-request' ? (approval.subject ?? '-') : (approval.askedUser ?? 'anyone'),
      describeQuestion(approval),
      approval.status,
      approval.status === 'pending'
        ? `expires ${formatTime(approval.expiresAt, timeZone)}`
        : `${approval.decidedBy ?? '-'} at ${formatTime(approval.decidedAt, timeZone)}`,
    ]),
  );
}

/** The first line, shortened; a question's options numbered after it. */
function describeQuestion(approval: ApprovalView): string {
  const first = truncate(approval.question.split('\n')[0] ?? '', 48);
  if (approval.kind !== 'question') return first;
  return `${first} (${approval.options.map((label, index) => `${index + 1} ${label}`).join(', ')})`;
}

export function describeDecision(approval: ApprovalView): string {
  const group = approval.group ?? '-';
  switch (approval.status) {
    case 'approved':
      return `approved ${approval.id}: ${approval.subject} is now a member of ${group}`;
    case 'rejected':
      return `rejected ${approval.id}: ${approval.subject}'s messages to ${group} are dropped`;
    default:
      return `${approval.status} ${approval.id}: ${approval.decision ?? '-'}`;
  }
}
