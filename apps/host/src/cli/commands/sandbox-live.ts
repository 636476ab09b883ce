import type { Command } from 'commander';
import type { SandboxView } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { writeLine, writeResult } from '../cli-io.js';
import { formatTable, formatTime } from '../format.js';

/** `nanoclaw sandbox list|kill`: the running host's live sandboxes. */
export function registerLiveSandboxCommands(sandbox: Command, deps: CliDeps, context: CliContext): void {
  sandbox
    .command('list')
    .description('the running host’s sandboxes: group, session, provider, state')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: { json?: boolean }) => {
        const list = await context.client().listSandboxes();
        writeResult(context.stdout, options.json, list, (sandboxes) =>
          sandboxes.length === 0 ? 'no sandboxes running' : sandboxesTable(sandboxes, context.config().TZ),
        );
        return 0;
      }),
    );
  sandbox
    .command('kill <id>')
    .description('stop a sandbox now (a run in it is tried again); the group’s next message starts a new one')
    .action(
      action(deps, context, async (id: string) => {
        await context.client().killSandbox(id);
        writeLine(context.stdout, `killed sandbox ${id}; the group's next message starts a new one`);
        return 0;
      }),
    );
}

export function sandboxesTable(sandboxes: SandboxView[], timeZone: string): string {
  return formatTable(
    ['ID', 'GROUP', 'SESSION', 'PROVIDER', 'RUNTIME', 'STATE', 'STARTED', 'LAST ACTIVE'],
    sandboxes.map((s) => [
      s.id,
      s.folder,
      s.session,
      s.provider,
      s.runtime,
      s.state,
      formatTime(s.startedAt, timeZone),
      formatTime(s.lastActiveAt, timeZone),
    ]),
  );
}
