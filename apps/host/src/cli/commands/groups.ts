import fs from 'node:fs/promises';
import { errorMessage } from '@nanoclaw/core';
import type { Command } from 'commander';
import { GROUP_ACCESS_MODES, type GroupAccess } from '../../groups/index.js';
import type { AddGroupInput } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, shellQuote, writeLine, writeResult } from '../cli-io.js';
import { configErrorLines, groupsTable } from '../format.js';

interface AddOptions {
  name?: string;
  trigger?: string;
  provider?: string;
  channel?: string;
  chat?: string;
  account?: string;
  json?: boolean;
}

export function registerGroupsCommand(program: Command, deps: CliDeps, context: CliContext): void {
  const groups = program.command('groups').description('list, add and remove agent groups');
  groups
    .command('list')
    .description('list the groups (* marks the main group)')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: { json?: boolean }) => {
        const list = await context.client().listGroups();
        writeResult(context.stdout, options.json, list, (groups) =>
          [groupsTable(groups), ...configErrorLines(groups)].join('\n'),
        );
        return 0;
      }),
    );
  groups
    .command('add <folder>')
    .description('add a group (creates groups/<folder>/), optionally bound to a chat')
    .option('--name <name>', 'display name')
    .option('--trigger <word>', 'trigger word (default: @ASSISTANT_NAME)')
    .option('--provider <id>', 'agent provider: claude, codex, opencode, mock')
    .option('--channel <channel>', 'bind a chat of this channel (with --chat)')
    .option(
      '--chat <id>',
      'the chat id to bind (with --channel; gmail: a rule, from:<address> or label:<name>)',
    )
    .option('--account <id>', 'the channel account (default: default)')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (folder: string, options: AddOptions) => {
        const group = await context.client().addGroup(addGroupInput(folder, options));
        writeResult(
          context.stdout,
          options.json,
          group,
          (added) => `added group ${added.folder} (provider ${added.provider.id})`,
        );
        for (const warning of group.warnings ?? []) writeLine(context.stderr, `warning: ${warning}`);
        return 0;
      }),
    );
  registerSet(groups, deps, context);
  registerConfig(groups, deps, context);
  registerBind(groups, deps, context);
  groups
    .command('remove <folder>')
    .description('remove a group and cancel its tasks (its folder on disk stays)')
    .action(
      action(deps, context, async (folder: string) => {
        const removed = await context.client().removeGroup(folder);
        writeLine(context.stdout, `removed group ${folder}; its scheduled tasks are cancelled`);
        writeLine(context.stdout, `its folder is kept: ${removed.path}`);
        writeLine(context.stdout, `  to delete it too: rm -r ${shellQuote(removed.path)}`);
        return 0;
      }),
    );
}

/** What each access mode means, as `groups set` says it. */
const ACCESS_MEANING: Record<GroupAccess, string> = {
  public: 'anyone in its chats may talk to its agent',
  members: 'only its members, its admins and the owner may talk to its agent; other messages are dropped',
  request:
    'a stranger’s messages are held until an admin or the owner approves them (in a direct chat, or with nanoclaw approvals)',
};

function registerBind(groups: Command, deps: CliDeps, context: CliContext): void {
  groups
    .command('bind <folder>')
    .description('bind one more chat to an existing group (the main group too)')
    .requiredOption('--channel <channel>', 'the chat platform: telegram, slack, discord, whatsapp, gmail')
    .requiredOption('--chat <id>', 'the chat id (gmail: a rule, from:<address> or label:<name>)')
    .option('--account <id>', 'the channel account (default: default)')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (folder: string, options: AddOptions) => {
        const chat = addGroupInput(folder, options).chat;
        if (!chat) throw new CliError('--channel and --chat are required', EXIT.usage);
        const group = await context.client().bindChat(folder, chat);
        writeResult(
          context.stdout,
          options.json,
          group,
          (bound) =>
            `bound ${chat.channel}:${chat.accountId ?? 'default'}:${chat.chatId} to group ${bound.folder}`,
        );
        for (const warning of group.warnings ?? []) writeLine(context.stderr, `warning: ${warning}`);
        return 0;
      }),
    );
}

function registerSet(groups: Command, deps: CliDeps, context: CliContext): void {
  groups
    .command('set <folder>')
    .description('change a group’s settings kept by the host: who may talk to its agent')
    .requiredOption(
      '--access <mode>',
      'public (anyone in its chats), members (only its members), request (strangers ask an approver first)',
    )
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (folder: string, options: { access: string; json?: boolean }) => {
        const access = GROUP_ACCESS_MODES.find((mode) => mode === options.access);
        if (!access) {
          throw new CliError(
            `--access must be one of ${GROUP_ACCESS_MODES.join(', ')} (got "${options.access}")`,
            EXIT.usage,
          );
        }
        const group = await context.client().setGroupAccess(folder, access);
        writeResult(
          context.stdout,
          options.json,
          group,
          (set) => `${set.folder}: access ${set.access}: ${ACCESS_MEANING[set.access]}`,
        );
        return 0;
      }),
    );
}

function registerConfig(groups: Command, deps: CliDeps, context: CliContext): void {
  groups
    .command('config <folder>')
    .description('print a group’s settings (groups/<folder>.container.json), or replace them with --set')
    .option(
      '--set <file>',
      'the whole new settings as JSON, from a file or - (stdin); checked before writing',
    )
    .option('--json', 'print the folder, settings and error as JSON')
    .action(
      action(deps, context, async (folder: string, options: { set?: string; json?: boolean }) => {
        const client = context.client();
        const view =
          options.set === undefined
            ? await client.getGroupConfig(folder)
            : await client.setGroupConfig(folder, await readSettings(options.set, context));
        writeResult(context.stdout, options.json, view, (shown) => JSON.stringify(shown.config, null, 2));
        if (options.set !== undefined) writeLine(context.stderr, `wrote groups/${folder}.container.json`);
        if (view.error === null) return 0;
        writeLine(context.stderr, `✗ invalid, the group is not served until it is fixed: ${view.error}`);
        return EXIT.failure;
      }),
    );
}

/** The JSON of `--set <file>` (`-`: stdin). */
async function readSettings(source: string, context: CliContext): Promise<unknown> {
  let text: string;
  try {
    text = source === '-' ? await readStream(context.stdin) : await fs.readFile(source, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${source}: ${errorMessage(error)}`, EXIT.usage);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(
      `${source === '-' ? 'stdin' : source} is not JSON: ${errorMessage(error)}`,
      EXIT.usage,
    );
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

export function addGroupInput(folder: string, options: AddOptions): AddGroupInput {
  if ((options.channel === undefined) !== (options.chat === undefined)) {
    throw new CliError(
      '--channel and --chat go together: the chat to bind is <channel> + <chat id>',
      EXIT.usage,
    );
  }
  return {
    folder,
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.trigger === undefined ? {} : { trigger: options.trigger }),
    ...(options.provider === undefined ? {} : { provider: options.provider }),
    ...(options.channel !== undefined && options.chat !== undefined
      ? {
          chat: {
            channel: options.channel,
            chatId: options.chat,
            ...(options.account === undefined ? {} : { accountId: options.account }),
          },
        }
      : {}),
  };
}
