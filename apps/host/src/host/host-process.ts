import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI's source, run as a user runs `nanoclaw` (test helper). */
export const CLI_SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli.ts');
/** tsx by absolute URL: the CLI runs in scratch folders with no node_modules. */
export const TSX_LOADER = import.meta.resolve('tsx');

export interface HostProcess {
  child: ChildProcess;
  /** Everything the host printed so far (its log). */
  output(): string;
}

/**
 * `nanoclaw start` in `cwd` with exactly `env` (plus JSON logs at info and TZ=UTC unless set); resolves once the
 * host says it is ready, and kills it when it does not get there. Test helper.
 */
export async function startHostProcess(cwd: string, env: Record<string, string>): Promise<HostProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_SOURCE, 'start'], {
    cwd,
    env: { LOG_FORMAT: 'json', LOG_LEVEL: 'info', TZ: 'UTC', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`host did not start:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('NanoClaw host ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`host exited with ${code}:\n${output}`));
      });
    });
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
  return { child, output: () => output };
}
