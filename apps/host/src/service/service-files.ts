export const SYSTEMD_UNIT_NAME = 'nanoclaw.service';
export const LAUNCHD_LABEL = 'dev.nanoclaw.host';

export interface ServiceSpec {
  /** Absolute path of the node binary. */
  nodePath: string;
  /** Absolute path of `apps/host/dist/cli.js`. */
  cliPath: string;
  /** Where the host runs: its `.env` and relative data/groups dirs are read from here. */
  workingDirectory: string;
}

/** A systemd user unit running `node <cli> start` in the repo, restarted on failure, reading `<repo>/.env`. */
export function renderSystemdUnit(spec: ServiceSpec): string {
  const envFile = joinPath(spec.workingDirectory, '.env');
  return [
    '# Written by `nanoclaw service install`; `nanoclaw service uninstall` removes it.',
    '[Unit]',
    'Description=NanoClaw host: routes chat messages to sandboxed agents',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${systemdPath(spec.workingDirectory)}`,
    `EnvironmentFile=-${systemdPath(envFile)}`,
    `ExecStart=${[spec.nodePath, spec.cliPath].map(systemdArg).join(' ')} start`,
    'Restart=on-failure',
    'RestartSec=5',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

export interface LaunchdSpec extends ServiceSpec {
  /** launchd starts jobs with a bare PATH: the installer's PATH finds docker and friends. */
  pathEnv: string;
  /** Where stdout/stderr go. */
  logFile: string;
}

/** A launchd agent, started at login and kept alive, running `node <cli> start` in the repo. */
export function renderLaunchdPlist(spec: LaunchdSpec): string {
  const string = (value: string) => `<string>${xmlEscape(value)}</string>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `nanoclaw service install`; `nanoclaw service uninstall` removes it. -->',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key>${string(LAUNCHD_LABEL)}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...[spec.nodePath, spec.cliPath, 'start'].map((arg) => `    ${string(arg)}`),
    '  </array>',
    `  <key>WorkingDirectory</key>${string(spec.workingDirectory)}`,
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    `    <key>PATH</key>${string(spec.pathEnv)}`,
    '  </dict>',
    '  <key>RunAtLoad</key><true/>',
    '  <key>KeepAlive</key><true/>',
    '  <key>ThrottleInterval</key><integer>10</integer>',
    `  <key>StandardOutPath</key>${string(spec.logFile)}`,
    `  <key>StandardErrorPath</key>${string(spec.logFile)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

/** `%` is a specifier in unit files. */
function systemdPath(value: string): string {
  return value.replace(/%/g, '%%');
}

/** An ExecStart word: quoted (with `\` and `"` escaped) when it holds spaces or quotes. */
function systemdArg(value: string): string {
  const escaped = systemdPath(value);
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

function xmlEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
