import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/test-utils.js';
import { useCleanups } from '../host/test-utils/cleanups.js';
import {
  findRepoDir,
  installService,
  planService,
  type ServiceOptions,
  uninstallService,
} from './install-service.js';
import { renderLaunchdPlist, renderSystemdUnit } from './service-files.js';

const cleanups = useCleanups();

function home(): string {
  return cleanups.scratch('nanoclaw-service');
}

function options(platform: NodeJS.Platform, homeDir: string): ServiceOptions {
  return {
    platform,
    homeDir,
    nodePath: '/usr/local/bin/node',
    cliPath: '/srv/nanoclaw/apps/host/dist/cli.js',
    workingDirectory: '/srv/nanoclaw',
    pathEnv: '/opt/homebrew/bin:/usr/bin:/bin',
  };
}

describe('the systemd unit', () => {
  it('runs `node cli.js start` in the repo, restarts on failure and reads .env', () => {
    expect(renderSystemdUnit(options('linux', '/home/ana'))).toBe(
      [
        '# Written by `nanoclaw service install`; `nanoclaw service uninstall` removes it.',
        '[Unit]',
        'Description=NanoClaw host: routes chat messages to sandboxed agents',
        '',
        '[Service]',
        'Type=simple',
        'WorkingDirectory=/srv/nanoclaw',
        'EnvironmentFile=-/srv/nanoclaw/.env',
        'ExecStart=/usr/local/bin/node /srv/nanoclaw/apps/host/dist/cli.js start',
        'Restart=on-failure',
        'RestartSec=5',
        'KillSignal=SIGTERM',
        'TimeoutStopSec=30',
        '',
        '[Install]',
        'WantedBy=default.target',
        '',
      ].join('\n'),
    );
  });

  it('quotes paths with spaces and escapes %', () => {
    const unit = renderSystemdUnit({
      nodePath: '/opt/my node/bin/node',
      cliPath: '/home/ana/100% work/apps/host/dist/cli.js',
      workingDirectory: '/home/ana/100% work',
    });
    expect(unit).toContain(
      'ExecStart="/opt/my node/bin/node" "/home/ana/100%% work/apps/host/dist/cli.js" start',
    );
    expect(unit).toContain('WorkingDirectory=/home/ana/100%% work\n');
    expect(unit).toContain('EnvironmentFile=-/home/ana/100%% work/.env\n');
  });
});

describe('the launchd plist', () => {
  it('keeps `node cli.js start` alive in the repo, with a PATH and a log file', () => {
    const plist = renderLaunchdPlist({
      ...options('darwin', '/Users/ana'),
      logFile: '/Users/ana/Library/Logs/nanoclaw/host.log',
    });
    expect(plist).toContain('<key>Label</key><string>dev.nanoclaw.host</string>');
    expect(plist).toContain(
      [
        '  <array>',
        '    <string>/usr/local/bin/node</string>',
        '    <string>/srv/nanoclaw/apps/host/dist/cli.js</string>',
        '    <string>start</string>',
        '  </array>',
      ].join('\n'),
    );
    expect(plist).toContain('<key>WorkingDirectory</key><string>/srv/nanoclaw</string>');
    expect(plist).toContain('<key>KeepAlive</key><true/>');
    expect(plist).toContain('<key>RunAtLoad</key><true/>');
    expect(plist).toContain('<key>PATH</key><string>/opt/homebrew/bin:/usr/bin:/bin</string>');
    expect(plist).toContain(
      '<key>StandardErrorPath</key><string>/Users/ana/Library/Logs/nanoclaw/host.log</string>',
    );
  });

  it('escapes XML in paths', () => {
    const plist = renderLaunchdPlist({
      ...options('darwin', '/Users/ana'),
      workingDirectory: '/Users/a&b/<x>',
      logFile: '/l',
    });
    expect(plist).toContain('<string>/Users/a&amp;b/&lt;x&gt;</string>');
  });
});

describe('installService / uninstallService', () => {
  it('writes ~/.config/systemd/user/nanoclaw.service once, and removes it with its enable link', () => {
    const homeDir = home();
    const first = installService(options('linux', homeDir));
    const file = path.join(homeDir, '.config', 'systemd', 'user', 'nanoclaw.service');
    expect(first).toMatchObject({ outcome: 'created', plan: { kind: 'systemd', file } });
    expect(fs.readFileSync(file, 'utf8')).toContain('ExecStart=/usr/local/bin/node');
    expect(first.plan.enable).toContain('systemctl --user enable --now nanoclaw.service');
    expect(installService(options('linux', homeDir)).outcome).toBe('unchanged');
    expect(installService({ ...options('linux', homeDir), workingDirectory: '/elsewhere' }).outcome).toBe(
      'updated',
    );
    const wants = path.join(path.dirname(file), 'default.target.wants');
    fs.mkdirSync(wants);
    fs.symlinkSync(file, path.join(wants, 'nanoclaw.service'));
    const removed = uninstallService(options('linux', homeDir));
    expect(removed.removed).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(path.join(wants, 'nanoclaw.service'))).toBe(false);
    expect(uninstallService(options('linux', homeDir)).removed).toBe(false);
  });

  it('writes ~/Library/LaunchAgents/dev.nanoclaw.host.plist and its log folder on macOS', () => {
    const homeDir = home();
    const result = installService(options('darwin', homeDir));
    expect(result.plan.file).toBe(path.join(homeDir, 'Library', 'LaunchAgents', 'dev.nanoclaw.host.plist'));
    expect(fs.existsSync(path.join(homeDir, 'Library', 'Logs', 'nanoclaw'))).toBe(true);
    expect(
      result.plan.enable.some((command) => command.startsWith('launchctl bootstrap gui/$(id -u) ')),
    ).toBe(true);
    expect(uninstallService(options('darwin', homeDir)).plan.disable).toEqual([
      'launchctl bootout gui/$(id -u)/dev.nanoclaw.host',
    ]);
  });

  it('refuses a platform without a supported service manager', () => {
    expect(() => planService(options('win32', home()))).toThrow(/no service manager support on win32/);
  });

  it('finds the repository above the CLI', () => {
    const repo = home();
    fs.writeFileSync(path.join(repo, 'pnpm-workspace.yaml'), 'packages: []\n');
    const cli = path.join(repo, 'apps', 'host', 'dist', 'cli.js');
    expect(findRepoDir(cli, '/fallback')).toBe(repo);
    expect(findRepoDir('/nowhere/cli.js', '/fallback')).toBe('/fallback');
  });
});

describe('nanoclaw service', () => {
  it('installs and prints the commands to enable it, and uninstalls', async () => {
    const homeDir = home();
    const deps = {
      platform: 'linux' as const,
      homeDir,
      env: { PATH: '/usr/bin' },
      nodePath: '/usr/bin/node',
      cliPath: '/srv/nanoclaw/apps/host/dist/cli.js',
      cwd: '/srv/nanoclaw',
      systemd: () => ({ ok: true }) as const,
    };
    const installed = await runCli(['service', 'install'], deps);
    const file = path.join(homeDir, '.config', 'systemd', 'user', 'nanoclaw.service');
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain(
      `created ${file}\nto enable and start it:\n  systemctl --user daemon-reload\n`,
    );
    expect(fs.readFileSync(file, 'utf8')).toContain('WorkingDirectory=/srv/nanoclaw\n');
    const uninstalled = await runCli(['service', 'uninstall'], deps);
    expect(uninstalled.stdout).toBe(
      `removed ${file}\nto stop a running one:\n  systemctl --user stop nanoclaw.service\n  systemctl --user daemon-reload\n`,
    );
  });

  it('writes no unit where systemd does not run, and says how to run the host instead', async () => {
    const homeDir = home();
    const repo = home();
    fs.mkdirSync(path.join(repo, 'docker'));
    fs.writeFileSync(path.join(repo, 'docker', 'compose.yaml'), 'services: {}\n');
    const result = await runCli(['service', 'install', '--workdir', repo], {
      platform: 'linux',
      homeDir,
      env: {},
      nodePath: '/usr/bin/node',
      cliPath: '/srv/nanoclaw/apps/host/dist/cli.js',
      systemd: () => ({ ok: false, reason: 'not-booted', detail: 'PID 1 is tini' }),
    });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        'nanoclaw: this machine does not run systemd (PID 1 is tini): a systemd user unit cannot work here, so none was written.',
        'Keep the host running another way:',
        `  cd ${repo} && nohup /usr/bin/node /srv/nanoclaw/apps/host/dist/cli.js start >> nanoclaw.log 2>&1 &   # in the background, its log in nanoclaw.log`,
        `  tmux new-session -d -s nanoclaw -c ${repo} '/usr/bin/node /srv/nanoclaw/apps/host/dist/cli.js start'   # in tmux: tmux attach -t nanoclaw`,
        `  NANOCLAW_ROOT=${repo} docker compose -f ${repo}/docker/compose.yaml up -d   # in Docker (see the file's notes)`,
        '',
      ].join('\n'),
    });
    expect(fs.existsSync(path.join(homeDir, '.config', 'systemd'))).toBe(false);
  });

  it('writes no unit where systemctl --user cannot reach the user bus, and says why', async () => {
    const homeDir = home();
    const result = await runCli(['service', 'install'], {
      platform: 'linux',
      homeDir,
      env: {},
      nodePath: '/usr/bin/node',
      cliPath: '/srv/nanoclaw/apps/host/dist/cli.js',
      cwd: '/srv/nanoclaw',
      systemd: () => ({
        ok: false,
        reason: 'no-user-bus',
        detail: 'Failed to connect to bus: No medium found',
      }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "nanoclaw: systemd runs, but `systemctl --user` cannot reach your user's service manager (Failed to connect to bus: No medium found)",
    );
    expect(result.stderr).toContain('sudo loginctl enable-linger "$USER"');
    expect(result.stderr).toContain('nohup /usr/bin/node /srv/nanoclaw/apps/host/dist/cli.js start');
    expect(fs.existsSync(path.join(homeDir, '.config', 'systemd'))).toBe(false);
  });

  it('exits 1 on an unsupported platform', async () => {
    const result = await runCli(['service', 'install'], { platform: 'win32', homeDir: home(), env: {} });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no service manager support on win32');
  });
});
