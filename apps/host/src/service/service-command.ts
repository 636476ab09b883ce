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
  runWithoutServiceManager,
  ServiceError,
  type ServiceOptions,
  uninstallService,
} from './install-service.js';
import { probeSystemd, type SystemdStatus } from './systemd-probe.js';

export interface ServiceDeps extends CliDeps {
  /** Default: `process.execPath`. */
  nodePath?: string;
  /** Default: this process's `cli.js`. */
  cliPath?: string;
  /** Default: `process.cwd()` (used when the CLI is not inside the repository). */
  cwd?: string;
  /** Whether a systemd user unit can run here (Linux). Default: `probeSystemd()`. */
  systemd?: () => SystemdStatus;
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
        const planned = withServiceErrors(() => planService(resolved));
        if (deps.cliPath === undefined) requireBuiltCli(resolved.cliPath);
        if (planned.kind === 'systemd') requireSystemd((deps.systemd ?? probeSystemd)(), resolved);
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

/** A unit systemd cannot run is not written: say why, and how to run the host instead. */
function requireSystemd(status: SystemdStatus, spec: ServiceOptions): void {
  if (status.ok) return;
  const instead = runWithoutServiceManager(spec).map((line) => `  ${line}`);
  const why =
    status.reason === 'not-booted'
      ? [
          `this machine does not run systemd (${status.detail}): a systemd user unit cannot work here, so none was written.`,
          'Keep the host running another way:',
        ]
      : [
          `systemd runs, but \`systemctl --user\` cannot reach your user's service manager (${status.detail}), so the unit could not be enabled; none was written.`,
          'That happens in a shell opened with su or sudo, or without a login session: log in as this user directly (e.g. over ssh),',
          'or run `sudo loginctl enable-linger "$USER"` and `export XDG_RUNTIME_DIR=/run/user/$(id -u)`, then `nanoclaw service install` again.',
          'Or keep the host running another way:',
        ];
  throw new CliError([...why, ...instead].join('\n'), EXIT.failure);
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
