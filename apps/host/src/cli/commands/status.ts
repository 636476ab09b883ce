import type { Command } from 'commander';
import { describeProvider } from '../../groups/index.js';
import type { HostStatus } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { writeResult } from '../cli-io.js';
import { formatDuration } from '../duration.js';
import { configErrorLines, describeChats, formatTable, truncate } from '../format.js';

export function registerStatusCommand(program: Command, deps: CliDeps, context: CliContext): void {
  program
    .command('status')
    .description('show the running host: groups (provider and where it comes from), runtime, channels, queue')
    .option('--json', 'print the raw status as JSON')
    .action(
      action(deps, context, async (options: { json?: boolean }) => {
        const status = await context.client().status();
        writeResult(context.stdout, options.json, status, (host) =>
          formatStatus(host, context.client().baseUrl),
        );
        return 0;
      }),
    );
}

export function formatStatus(status: HostStatus, baseUrl: string, now = Date.now()): string {
  const runtime =
    status.runtime.name === null
      ? `✗ none: ${status.runtime.error}`
      : `${status.runtime.name} (${status.runtime.detail})`;
  const channels = status.channels.map(
    (channel) =>
      `  ${channel.connected ? '✓' : '✗'} ${channel.channel}/${channel.accountId}${channel.detail ? `  ${channel.detail}` : ''}`,
  );
  const groups = formatTable(
    ['FOLDER', 'NAME', 'PROVIDER', 'QUEUE', 'SANDBOX', 'ACCESS', 'CHATS'],
    status.groups.map((group) => [
      `${group.folder}${group.isMain ? ' *' : ''}`,
      group.name,
      describeProvider(group.provider),
      `${group.running} running, ${group.queued} queued`,
      group.sandbox,
      group.access,
      describeChats(group.chats),
    ]),
  );
  return [
    `NanoClaw ${status.version} on ${baseUrl}, up ${formatDuration(Math.max(0, now - status.startedAt))}`,
    `runtime: ${runtime}`,
    'channels:',
    ...(channels.length > 0 ? channels : ['  (none)']),
    'groups:',
    indent(groups),
    ...configErrorLines(status.groups),
    ...lastErrorLines(status.groups, now),
  ].join('\n');
}

/** `! main: last error 5m ago: the model is down` for each group whose last run reported one. */
function lastErrorLines(groups: HostStatus['groups'], now: number): string[] {
  return groups.flatMap((group) =>
    group.lastError
      ? [
          `! ${group.folder}: last error ${formatDuration(Math.max(0, now - group.lastError.at))} ago: ${truncate(group.lastError.message, 200)}`,
        ]
      : [],
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
