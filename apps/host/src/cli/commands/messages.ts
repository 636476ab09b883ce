import type { Command } from 'commander';
import type { MessageView } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeResult } from '../cli-io.js';
import { formatTime } from '../format.js';

/** `nanoclaw messages <folder>`: what the host stored of a group's conversation, oldest first. */
export function registerMessagesCommand(program: Command, deps: CliDeps, context: CliContext): void {
  program
    .command('messages <folder>')
    .description('a group’s stored messages (in and out, every chat), oldest first')
    .option('--limit <n>', 'how many of the latest (1-500, default 50)')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (folder: string, options: { limit?: string; json?: boolean }) => {
        const messages = await context.client().listMessages(folder, { limit: parseLimit(options.limit) });
        writeResult(context.stdout, options.json, messages, (list) =>
          list.length === 0
            ? 'no messages'
            : list.map((m) => formatMessage(m, context.config().TZ)).join('\n'),
        );
        return 0;
      }),
    );
}

/** `2030-01-02 03:04  telegram:default:42  Ana: hello` (the text's lines indented under it). */
export function formatMessage(message: MessageView, timeZone: string): string {
  const who = message.fromAgent
    ? `→ ${message.senderName ?? 'agent'}`
    : (message.senderName ?? message.sender);
  const [first = '', ...rest] = message.text.split('\n');
  return [
    `${formatTime(message.at, timeZone)}  ${message.chat}  ${who}: ${first}`,
    ...rest.map((l) => `    ${l}`),
  ].join('\n');
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 50;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new CliError(`--limit must be a whole number from 1 to 500 (got "${value}")`, EXIT.usage);
  }
  return limit;
}
