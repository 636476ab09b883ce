import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { action, type CliContext, type CliDeps } from '../cli/cli-context.js';
import { CliError, EXIT, writeLine } from '../cli/cli-io.js';
import {
  defaultCliPath,
  findRepoDir,
  installService,
  planService,
  ServiceError,
  type ServiceOptions,
  uninstallService,
} from './install-service.js';

export interface ServiceDeps extends CliDeps {
  /** Default: `process.execPath`. */
  nodePath?: string;
  /** Default: this process's `cli.js`. */
  cliPath?: string;
  /** Default: `process.cwd()` (used when the CLI is not inside the repository). */
  cwd?: string;
}

export function registerServiceCommand(program: Command, deps: ServiceDeps, context: CliContext): void {
  const service = program
    .command('service')
    .description('run the host as a user service: systemd on Linux, launchd on macOS');
  service
    .command('install')
    .description('write the systemd user unit / launchd agent and print how to enable it')
    .option('--workdir <dir>', 'where the host runs and reads .env (default: the repository)')
    .action(
      action(deps, context, async (options: { workdir?: string }) => {
        const resolved = serviceOptions(deps, context, options.workdir);
        withServiceErrors(() => planService(resolved));
        if (deps.cliPath === undefined) requireBuiltCli(resolved.cliPath);
        const { plan, outcome } = withServiceErrors(() => installService(resolved));
        writeLine(context.stdout, `${outcome} ${plan.file}`);
        writeLine(context.stdout, outcome === 'unchanged' ? 'to (re)start it:' : 'to enable and start it:');
        for (const command of plan.enable) writeLine(context.stdout, `  ${command}`);
        return EXIT.ok;
      }),
    );
  service
    .command('uninstall')
    .description('remove the systemd user unit / launchd agent and print how to stop it')
    .action(
      action(deps, context, async () => {
        const { plan, removed } = withServiceErrors(() =>
          uninstallService(serviceOptions(deps, context, undefined)),
        );
        writeLine(context.stdout, removed ? `removed ${plan.file}` : `nothing to remove: no ${plan.file}`);
        writeLine(context.stdout, 'to stop a running one:');
        for (const command of plan.disable) writeLine(context.stdout, `  ${command}`);
        return EXIT.ok;
      }),
    );
}

function requireBuiltCli(cliPath: string): void {
  if (fs.existsSync(cliPath)) return;
  throw new CliError(
    `cannot find the built CLI at ${cliPath}: run \`pnpm build\`, then \`node apps/host/dist/cli.js service install\``,
  );
}

function serviceOptions(deps: ServiceDeps, context: CliContext, workdir: string | undefined): ServiceOptions {
  const cwd = deps.cwd ?? process.cwd();
  const cliPath = deps.cliPath ?? defaultCliPath();
  return {
    platform: context.platform,
    homeDir: context.homeDir,
    nodePath: deps.nodePath ?? process.execPath,
    cliPath,
    workingDirectory: workdir === undefined ? findRepoDir(cliPath, cwd) : path.resolve(cwd, workdir),
    pathEnv: context.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  };
}

function withServiceErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ServiceError) throw new CliError(error.message, EXIT.failure);
    throw error;
  }
}
