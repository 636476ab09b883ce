#!/usr/bin/env node
// @ts-check
/**
 * `pnpm dev`: the host from a checkout, in four short steps, each one line:
 *   install   `pnpm install` when the lockfile changed since the last install, else nothing;
 *   build     `turbo run build` for the host and the packages it uses: only what changed (turbo's cache), a
 *             progress count instead of the build logs (shown only when a build fails);
 *   userland  the agent userland bwrap and docker sandboxes run on: built here, with its progress, when it is
 *             not built yet (about a minute, once per machine);
 *   start     `nanoclaw start` in the foreground.
 *
 * Plain JavaScript (checked by tsc): it runs before anything is built, and tsx would cost half a second.
 *
 * Signals: a terminal's Ctrl-C reaches every process of the foreground group: the host (or the step running) gets
 * it from the terminal itself, and pnpm passes another copy to this script. So this script ignores SIGINT and
 * SIGHUP (the host must see a Ctrl-C once: a second one forces it) and passes SIGTERM, which terminals never
 * send, to the running child. It exits with the host's exit code: 0 after a clean stop, so pnpm prints no
 * `ELIFECYCLE`. (`"dev": "exec node scripts/dev.mjs"`: without `exec`, the shell pnpm starts would die of the
 * SIGINT itself and pnpm would report that.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { pnpmCommand } from './pnpm-command.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join('apps', 'host', 'dist', 'cli.js');
/** Under node_modules: the lockfile the last `pnpm install` of this script was run for. */
const INSTALLED_NOTE = '.nanoclaw-dev-lock.yaml';

/**
 * Whether `node_modules` was installed from the lockfile as it is now: pnpm keeps a copy of the lockfile it
 * installed from, and after an install that changed nothing (pnpm found it up to date) this script notes the
 * lockfile it was run for.
 * @param {string} root
 */
export function installIsCurrent(root) {
  try {
    const lockfile = fs.readFileSync(path.join(root, 'pnpm-lock.yaml'));
    const installed = [path.join('.pnpm', 'lock.yaml'), INSTALLED_NOTE].flatMap((file) => {
      const at = path.join(root, 'node_modules', file);
      return fs.existsSync(at) ? [fs.readFileSync(at)] : [];
    });
    return installed.some((copy) => copy.equals(lockfile));
  } catch {
    return false;
  }
}

/**
 * Notes that `node_modules` is current for the lockfile as it is now.
 * @param {string} root
 */
export function noteInstalled(root) {
  fs.copyFileSync(path.join(root, 'pnpm-lock.yaml'), path.join(root, 'node_modules', INSTALLED_NOTE));
}

/**
 * What one line of `turbo run build --output-logs=new-only --log-order=grouped` says: how many packages are
 * built, or that a package is done (grouped: a task's lines come when it ends).
 * @param {string} line
 * @returns {{ total: number } | { done: string, cached: boolean } | undefined}
 */
export function parseTurboLine(line) {
  const total = /Running build in (\d+) packages/.exec(line);
  if (total) return { total: Number(total[1]) };
  const done = /^(\S+):build: cache (hit|miss)/.exec(line);
  if (done?.[1]) return { done: done[1], cached: done[2] === 'hit' };
  return undefined;
}

/**
 * The lines of a failed build worth showing: each failed package's own output and turbo's error lines; when no
 * package failed (turbo itself did, e.g. no `pnpm` on the PATH), the end of turbo's output.
 * @param {string[]} lines
 */
export function failureLines(lines) {
  const failed = lines.flatMap((line) => /^Failed:\s+(.*)$/.exec(line.trim())?.[1]?.split(/,\s*/) ?? []);
  if (failed.length === 0) return lines.filter((line) => line.trim() !== '').slice(-20);
  const packages = failed.map((task) => task.replace(/#build$/, ''));
  return lines.filter(
    (line) => packages.some((name) => line.startsWith(`${name}:build:`)) || /ERROR/.test(line),
  );
}

/**
 * The settings this script needs, read as the host reads them: the environment over `.env`.
 * @param {Record<string, string | undefined>} env
 * @param {string} envFileText
 */
export function devSettings(env, envFileText) {
  const merged = { ...parseEnv(envFileText), ...env };
  const value = (/** @type {string} */ key) => merged[key]?.trim() || undefined;
  return {
    runtime: value('NANOCLAW_RUNTIME') ?? 'auto',
    cacheDir: value('NANOCLAW_USERLAND_CACHE_DIR'),
    mirror: value('NANOCLAW_DEBIAN_MIRROR'),
  };
}

/**
 * `0.4 s`, `38 s`, `4 min 8 s`.
 * @param {number} ms
 */
export function formatDuration(ms) {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/**
 * A child's exit as a process exit code: its code, or 128 + the signal that ended it.
 * @param {number | null} code
 * @param {NodeJS.Signals | null} signal
 */
export function exitCodeOf(code, signal) {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 1) : 1);
}

/** @typedef {{ line(step: string, text: string): void, progress(step: string, text: string): void }} Steps */

/**
 * One line per step on stderr; on a terminal, a step's progress rewrites its line.
 * @param {NodeJS.WriteStream} stream
 * @returns {Steps}
 */
function createSteps(stream = process.stderr) {
  const tty = stream.isTTY === true;
  let open = false;
  const label = (/** @type {string} */ step) => `dev ▸ ${step.padEnd(10)}`;
  return {
    line(/** @type {string} */ step, /** @type {string} */ text) {
      stream.write(`${open ? '\r\x1b[K' : ''}${label(step)}${text}\n`);
      open = false;
    },
    progress(/** @type {string} */ step, /** @type {string} */ text) {
      if (!tty) return;
      stream.write(`\r\x1b[K${label(step)}${text}`);
      open = true;
    },
  };
}

/** The child that runs now, so a SIGTERM reaches it. */
let current = /** @type {import('node:child_process').ChildProcess | undefined} */ (undefined);

/**
 * Runs a step's program in this process group (a terminal's Ctrl-C reaches it directly).
 * @param {string} command
 * @param {string[]} args
 * @param {{ capture?: (line: string) => void, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<number>}
 */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: options.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    current = child;
    if (options.capture) {
      const capture = options.capture;
      let rest = '';
      const onData = (/** @type {Buffer} */ chunk) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) capture(line);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('close', () => rest && capture(rest));
    }
    child.once('error', reject);
    child.once('close', (code, signal) => {
      current = undefined;
      resolve(exitCodeOf(code, signal));
    });
  });
}

/** @param {Steps} steps */
async function install(steps) {
  if (installIsCurrent(ROOT)) {
    steps.line('install', 'dependencies up to date');
    return 0;
  }
  steps.line('install', 'the lockfile changed since the last install: pnpm install');
  const [command = 'pnpm', ...args] = pnpmCommand(ROOT);
  const code = await run(command, [...args, 'install']);
  if (code === 0) noteInstalled(ROOT);
  return code;
}

/** @param {Steps} steps */
async function build(steps) {
  const started = Date.now();
  const lines = /** @type {string[]} */ ([]);
  let total = 0;
  let done = 0;
  let cached = 0;
  steps.progress('build', 'looking for changes');
  const code = await run(
    path.join(ROOT, 'node_modules', '.bin', 'turbo'),
    [
      'run',
      'build',
      '--filter=@nanoclaw/host...',
      '--output-logs=new-only',
      '--log-order=grouped',
      '--no-color',
    ],
    {
      capture: (line) => {
        lines.push(line);
        const seen = parseTurboLine(line);
        if (!seen) return;
        if ('total' in seen) total = seen.total;
        else {
          done += 1;
          if (seen.cached) cached += 1;
          steps.progress('build', `${total} packages: ${done}/${total}, ${seen.done} done`);
        }
      },
    },
  );
  if (code !== 0) {
    steps.line('build', `failed after ${formatDuration(Date.now() - started)}:`);
    process.stderr.write(`${failureLines(lines).join('\n')}\n`);
    return code;
  }
  const built = total - cached;
  const what = built === 0 ? 'nothing changed' : `${built} built, ${cached} unchanged`;
  steps.line('build', `${total} packages: ${what} (${formatDuration(Date.now() - started)})`);
  return 0;
}

/** @param {Steps} steps */
async function userland(steps) {
  const envFile = path.join(ROOT, '.env');
  const settings = devSettings(process.env, fs.existsSync(envFile) ? fs.readFileSync(envFile, 'utf8') : '');
  if (settings.runtime === 'process') {
    steps.line('userland', 'not used by the process runtime (NANOCLAW_RUNTIME=process)');
    return 0;
  }
  const { createSandboxImages } = await import('@nanoclaw/sandbox-image');
  const status = await createSandboxImages({
    ...(settings.cacheDir ? { cacheDir: settings.cacheDir } : {}),
    ...(settings.mirror ? { mirror: settings.mirror } : {}),
  }).status();
  const { base } = status;
  if (base.built) {
    steps.line(
      'userland',
      `the agent userland is ready (Debian ${base.suite}, built ${base.built.manifest.builtAt})`,
    );
    return 0;
  }
  if (!status.builder.ok) {
    steps.line(
      'userland',
      `cannot be built here: ${status.builder.reason} (${status.builder.hint}); agents get no shell: see nanoclaw doctor`,
    );
    return 0;
  }
  steps.line('userland', 'building the agent userland: about a minute, once per machine');
  return run(process.execPath, [CLI, 'sandbox', 'image', 'build']);
}

/** @param {Steps} steps */
async function start(steps) {
  steps.line('start', `node ${CLI} start  (Ctrl-C stops it; running turns finish first)`);
  return run(process.execPath, [CLI, 'start'], {
    env: { ...process.env, LOG_FORMAT: process.env.LOG_FORMAT || 'pretty' },
  });
}

async function main() {
  let terminated = false;
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', () => {
    terminated = true;
    current?.kill('SIGTERM');
  });
  const steps = createSteps();
  for (const step of [install, build, userland, start]) {
    if (terminated) process.exit(exitCodeOf(null, 'SIGTERM'));
    const code = await step(steps);
    if (code !== 0 || step === start) process.exit(code);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error) => {
    process.stderr.write(`dev: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
