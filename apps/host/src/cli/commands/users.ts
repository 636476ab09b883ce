import type { Command } from 'commander';
import type { UserView } from '../../host-api.js';
import { describeGrant, ROLES, type Role } from '../../people/index.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeLine, writeResult } from '../cli-io.js';
import { formatTable } from '../format.js';

interface AddOptions {
  role: string;
  group?: string;
  name?: string;
  json?: boolean;
}

const ADD_OWNER = 'nanoclaw users add <platform:id> --role owner';

export function registerUsersCommand(program: Command, deps: CliDeps, context: CliContext): void {
  const users = program
    .command('users')
    .description('people and their roles: owner, admin (of a group or all), member of a group');
  users
    .command('list')
    .description('list users, their roles and linked ids')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: { json?: boolean }) => {
        const list = await context.client().listUsers();
        writeResult(context.stdout, options.json, list, (all) =>
          all.length === 0 ? `no users (add the owner first: ${ADD_OWNER})` : usersTable(all),
        );
        return 0;
      }),
    );
  users
    .command('add <userId>')
    .description('grant a role to <platform:id> (e.g. telegram:12345), adding the user if new')
    .requiredOption(
      '--role <role>',
      `${ROLES.join(', ')} (member needs --group; admin without --group: all groups)`,
    )
    .option('--group <folder>', 'the group the role is for')
    .option('--name <name>', 'a display name')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (userId: string, options: AddOptions) => {
        const role = parseRole(options.role);
        const user = await context.client().addUser({
          userId,
          role,
          ...(options.group === undefined ? {} : { group: options.group }),
          ...(options.name === undefined ? {} : { name: options.name }),
        });
        writeResult(
          context.stdout,
          options.json,
          user,
          (added) =>
            `granted ${describeGrant({ role, group: options.group ?? null })} to ${describeUser(added)}; their roles: ${describeRoles(added)}`,
        );
        return 0;
      }),
    );
  registerRemove(users, deps, context);
  users
    .command('link <userId> <otherId>')
    .description(
      'make two ids one person (e.g. telegram:12345 and slack:U024BE7LH): a role of either is theirs',
    )
    .action(
      action(deps, context, async (a: string, b: string) => {
        const [first] = await context.client().linkUsers(a, b);
        writeLine(
          context.stdout,
          `linked ${a} and ${b}: one person (${first?.linked.join(', ') ?? `${a}, ${b}`})`,
        );
        return 0;
      }),
    );
}

function registerRemove(users: Command, deps: CliDeps, context: CliContext): void {
  users
    .command('remove <userId>')
    .description('take one role (--role, --group), or without --role the user and all their roles')
    .option('--role <role>', `only this role (${ROLES.join(', ')})`)
    .option('--group <folder>', 'the group of that role')
    .action(
      action(deps, context, async (userId: string, options: { role?: string; group?: string }) => {
        if (options.role === undefined && options.group !== undefined) {
          throw new CliError('--group goes with --role: the role to take is <role> of <group>', EXIT.usage);
        }
        const role = options.role === undefined ? undefined : parseRole(options.role);
        await context.client().removeUser({
          userId,
          ...(role === undefined ? {} : { role }),
          ...(options.group === undefined ? {} : { group: options.group }),
        });
        writeLine(
          context.stdout,
          role === undefined
            ? `removed ${userId} and all their roles`
            : `took ${describeGrant({ role, group: options.group ?? null })} from ${userId}`,
        );
        return 0;
      }),
    );
}

export function usersTable(users: UserView[]): string {
  return formatTable(
    ['USER', 'NAME', 'ROLES', 'LINKED'],
    users.map((user) => {
      const others = user.linked.filter((id) => id !== user.id);
      return [user.id, user.name ?? '-', describeRoles(user), others.length === 0 ? '-' : others.join(', ')];
    }),
  );
}

function describeRoles(user: UserView): string {
  return user.roles.length === 0 ? '-' : user.roles.map(describeGrant).join(', ');
}

function describeUser(user: UserView): string {
  return user.name ? `${user.id} (${user.name})` : user.id;
}

function parseRole(value: string): Role {
  const role = ROLES.find((candidate) => candidate === value);
  if (!role) throw new CliError(`--role must be one of ${ROLES.join(', ')} (got "${value}")`, EXIT.usage);
  return role;
}
