/**
 * The real `nanoclaw start` (apps/host/dist/cli.js, built by `turbo run test:faults`) in a child process, in a
 * scratch project folder: what a user runs, so a fault (kill -9, a read-only disk) hits the real thing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerHostEnv } from '@nanoclaw/container-runner/test';

/** `apps/host/dist/cli.js`, next to the package's main entry. */
export const HOST_CLI = path.join(
  path.dirname(fileURLToPath(import.meta.resolve('@nanoclaw/host'))),
  'cli.js',
);

export interface HostProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly root: string;
  readonly dataDir: string;
  /** Everything the host wrote to stdout and stderr so far. */
  output(): string;
  /** The API token the host generated at its first start. */
  token(): string;
  /** Resolves once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL (no cleanup of any kind) and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (a clean stop) and wait for the exit. */
  stop(): Promise<void>;
  /**
   * A terminal's Ctrl-C: SIGINT to the host's whole process group (every process in it, as the tty driver does).
   * Only for a host started with `ownProcessGroup`.
   */
  interrupt(): void;
}

export interface StartOptions {
  root: string;
  port: number;
  runtime: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /**
   * Start the host as the leader of its own process group, as a shell starts a foreground job: `interrupt()` then
   * reaches it and everything it left in its group, like a Ctrl-C in its terminal.
   */
  ownProcessGroup?: boolean;
}

/** A scratch project folder the sandbox user (uid 1000 when we run as root) can traverse. */
export function scratchRoot(prefix: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `nanoclaw-faults-${prefix}-`));
  fs.chmodSync(root, 0o755);
  return root;
}

/** Spawns the host without waiting: `startHost` waits for "ready", `runHostToExit` for the exit. */
export function spawnHost(options: StartOptions): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [HOST_CLI, 'start'], {
    cwd: options.root,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? options.root,
      ...dockerSocket(),
      NANOCLAW_HTTP_PORT: String(options.port),
      NANOCLAW_RUNTIME: options.runtime,
      AGENT_PROVIDER: 'mock',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      TZ: 'UTC',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup === true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    // Keep the head (start-up errors) and the tail, never an unbounded log.
    if (output.length > 400_000) output = `${output.slice(0, 100_000)}\n…\n${output.slice(-200_000)}`;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output };
}

export async function startHost(options: StartOptions): Promise<HostProcess> {
  const { child, output } = spawnHost(options);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started host behind
      reject(new Error(`host not ready within ${timeoutMs} ms:\n${output().slice(-4_000)}`));
    }, timeoutMs);
    const check = () => {
      if (output().includes('NanoClaw host ready')) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`host exited (${code ?? signal}) before it was ready:\n${output().slice(-4_000)}`));
    });
  });
  const dataDir = path.join(options.root, 'data');
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    child,
    url: `http://127.0.0.1:${options.port}`,
    root: options.root,
    dataDir,
    output,
    token: () => fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim(),
    exited,
    kill9: () => stopWith('SIGKILL'),
    stop: () => stopWith('SIGTERM'),
    interrupt: () => {
      if (!options.ownProcessGroup || child.pid === undefined)
        throw new Error('interrupt() needs a host started with ownProcessGroup');
      process.kill(-child.pid, 'SIGINT');
    },
  };
}

/** Starts the host expecting it to refuse: its exit code and everything it printed. */
export async function runHostToExit(
  options: StartOptions & { timeoutMs?: number },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; ready: boolean }> {
  const { child, output } = spawnHost(options);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => child.once('exit', (c, s) => resolve({ code: c, signal: s })),
  );
  clearTimeout(timer);
  const text = output();
  return { code, signal, output: text, ready: text.includes('NanoClaw host ready') };
}

/** Only the Docker socket from the test environment, nothing else. */
function dockerSocket(): Record<string, string> {
  const host = dockerHostEnv().DOCKER_HOST;
  return host ? { DOCKER_HOST: host } : {};
}
