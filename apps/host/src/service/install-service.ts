import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NanoclawError } from '@nanoclaw/core';
import { shellQuote } from '../cli/cli-io.js';
import {
  LAUNCHD_LABEL,
  renderLaunchdPlist,
  renderSystemdUnit,
  type ServiceSpec,
  SYSTEMD_UNIT_NAME,
} from './service-files.js';

export interface ServiceOptions extends ServiceSpec {
  platform: NodeJS.Platform;
  homeDir: string;
  /** PATH written into the launchd plist. */
  pathEnv: string;
}

export interface ServicePlan {
  kind: 'systemd' | 'launchd';
  file: string;
  contents: string;
  /** Folders to create first (launchd's log folder). */
  dirs: string[];
  /** Commands that enable and start it (printed, not run). */
  enable: string[];
  /** Commands that stop it once the file is gone (printed, not run). */
  disable: string[];
}

export class ServiceError extends NanoclawError<'service-unsupported'> {
  override readonly name = 'ServiceError';
  constructor(message: string) {
    super('service-unsupported', message);
  }
}

/** What `service install` writes for this platform; throws `ServiceError` where there is no service manager. */
export function planService(options: ServiceOptions): ServicePlan {
  if (options.platform === 'linux') return systemdPlan(options);
  if (options.platform === 'darwin') return launchdPlan(options);
  throw new ServiceError(
    `no service manager support on ${options.platform}: run \`nanoclaw start\` under your own supervisor`,
  );
}

function systemdPlan(options: ServiceOptions): ServicePlan {
  const file = path.join(options.homeDir, '.config', 'systemd', 'user', SYSTEMD_UNIT_NAME);
  return {
    kind: 'systemd',
    file,
    contents: renderSystemdUnit(options),
    dirs: [],
    enable: [
      'systemctl --user daemon-reload',
      `systemctl --user enable --now ${SYSTEMD_UNIT_NAME}`,
      'loginctl enable-linger "$USER"   # keep it running when you are logged out',
      `journalctl --user -u ${SYSTEMD_UNIT_NAME} -f   # follow its log`,
    ],
    disable: [`systemctl --user stop ${SYSTEMD_UNIT_NAME}`, 'systemctl --user daemon-reload'],
  };
}

function launchdPlan(options: ServiceOptions): ServicePlan {
  const file = path.join(options.homeDir, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  const logDir = path.join(options.homeDir, 'Library', 'Logs', 'nanoclaw');
  const logFile = path.join(logDir, 'host.log');
  return {
    kind: 'launchd',
    file,
    contents: renderLaunchdPlist({ ...options, logFile }),
    dirs: [logDir],
    enable: [
      `launchctl bootout gui/$(id -u)/${LAUNCHD_LABEL} 2>/dev/null   # only if an older one is loaded`,
      `launchctl bootstrap gui/$(id -u) ${shellQuote(file)}`,
      `tail -f ${shellQuote(logFile)}   # follow its log`,
    ],
    disable: [`launchctl bootout gui/$(id -u)/${LAUNCHD_LABEL}`],
  };
}

/**
 * How to keep the host running where no service manager can: the commands to run it in the background, in
 * tmux, or (from a checkout with `docker/compose.yaml`) under Docker Compose.
 */
export function runWithoutServiceManager(spec: ServiceSpec): string[] {
  const start = `${shellQuote(spec.nodePath)} ${shellQuote(spec.cliPath)} start`;
  const dir = shellQuote(spec.workingDirectory);
  const compose = path.join(spec.workingDirectory, 'docker', 'compose.yaml');
  return [
    `cd ${dir} && nohup ${start} >> nanoclaw.log 2>&1 &   # in the background, its log in nanoclaw.log`,
    `tmux new-session -d -s nanoclaw -c ${dir} ${shellQuote(start)}   # in tmux: tmux attach -t nanoclaw`,
    ...(fs.existsSync(compose)
      ? [
          `NANOCLAW_ROOT=${dir} docker compose -f ${shellQuote(compose)} up -d   # in Docker (see the file's notes)`,
        ]
      : []),
  ];
}

export interface InstallResult {
  plan: ServicePlan;
  /** `created`, `updated`, or `unchanged` (same contents already there). */
  outcome: 'created' | 'updated' | 'unchanged';
}

/** Writes the unit/plist (mode 0644); running it again with the same options changes nothing. */
export function installService(options: ServiceOptions): InstallResult {
  const plan = planService(options);
  for (const dir of plan.dirs) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.dirname(plan.file), { recursive: true });
  const existing = readIfExists(plan.file);
  if (existing === plan.contents) return { plan, outcome: 'unchanged' };
  fs.writeFileSync(plan.file, plan.contents, { mode: 0o644 });
  return { plan, outcome: existing === undefined ? 'created' : 'updated' };
}

export interface UninstallResult {
  plan: ServicePlan;
  removed: boolean;
}

/**
 * Removes the unit/plist, and for systemd the `default.target.wants` link `enable` made (so nothing points
 * at a missing file). Stopping the running service is left to the printed commands.
 */
export function uninstallService(options: ServiceOptions): UninstallResult {
  const plan = planService(options);
  if (plan.kind === 'systemd') {
    const link = path.join(path.dirname(plan.file), 'default.target.wants', SYSTEMD_UNIT_NAME);
    if (linksTo(link, plan.file)) fs.unlinkSync(link);
  }
  const removed = readIfExists(plan.file) !== undefined;
  if (removed) fs.unlinkSync(plan.file);
  return { plan, removed };
}

/**
 * The CLI script the service should run: the script this process was started as when it is a `cli.js`,
 * else the `cli.js` next to this bundle.
 */
export function defaultCliPath(argv1: string | undefined = process.argv[1]): string {
  if (argv1 && path.basename(argv1) === 'cli.js' && fs.existsSync(argv1)) return fs.realpathSync(argv1);
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.js');
}

/** The repository root above the CLI (the folder with `pnpm-workspace.yaml`), else `fallback`. */
export function findRepoDir(cliPath: string, fallback: string): string {
  let current = path.dirname(cliPath);
  for (;;) {
    if (fs.existsSync(path.join(current, 'pnpm-workspace.yaml'))) return current;
    const parent = path.dirname(current);
    if (parent === current) return fallback;
    current = parent;
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function linksTo(link: string, target: string): boolean {
  try {
    return (
      fs.lstatSync(link).isSymbolicLink() &&
      path.resolve(path.dirname(link), fs.readlinkSync(link)) === target
    );
  } catch {
    return false;
  }
}
