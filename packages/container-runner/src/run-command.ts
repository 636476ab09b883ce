import { spawn } from 'node:child_process';

export interface RunCommandOptions {
  /** The complete environment of the command; never defaults to `process.env`. */
  env: Readonly<Record<string, string>>;
  timeoutMs?: number;
  cwd?: string;
  input?: string;
}

export interface CommandResult {
  /** Exit code; null when killed by a signal, timed out or not started. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the command could not be started (e.g. ENOENT). */
  error?: Error;
}

/** Runs a short host command (docker ps, ldd, ...) with an explicit env and a timeout, collecting its output. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(file, args, {
      env: { ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const finish = (result: Omit<CommandResult, 'stdout' | 'stderr' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({ ...result, stdout, stderr, timedOut });
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) => finish({ code: null, signal: null, error }));
    child.on('close', (code, signal) => finish({ code: timedOut ? null : code, signal }));
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
