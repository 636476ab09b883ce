import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { SandboxExit, SandboxProcess } from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import { settlesWithin } from '../settles-within.js';

/**
 * Spawns a sandbox's launcher (bwrap, the docker or container client, the process runtime's command) as the leader
 * of a new session and process group (setsid). A terminal's Ctrl-C sends SIGINT to its whole foreground process
 * group: it must reach only the host, which then drains the sandbox's turn instead of losing it. The sandbox still
 * never outlives the host; each runtime ties it to the host its own way (bwrap `--die-with-parent`, the docker
 * client's stdin and the orphan reaper, the process runtime's group kill and the runner's stdin).
 *
 * Node's `spawn`, not execa (which runs the short host commands in `run-command.ts`): a launcher's stdio is the
 * runner's long-lived JSON-RPC channel, read by the connection as streams for the sandbox's whole life, and bwrap's
 * extra pipes (fds 3-5) are written after the cgroup join. `exited` must follow the launcher's own `exit` event;
 * execa's promise settles only once every stdio stream has closed (a grandchild holding stdout keeps it pending)
 * and would buffer or reject on a non-zero exit, none of which a sandbox wants.
 */
export function spawnLauncher(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(file, args, { ...options, detached: true });
}

export interface WrapChildOptions<Extra extends object> {
  name: string;
  child: ChildProcess;
  /** Stops the sandbox for real (docker rm -f, kill the process group, ...). */
  stop: () => Promise<void>;
  /** How long `kill()` waits for the client process to go after `stop()` before SIGKILLing it. */
  killGraceMs?: number;
  extra?: Extra;
}

/** Waits until the child has spawned (or failed to), then wraps it as a `SandboxProcess`. */
export async function wrapChild<Extra extends object = Record<never, never>>(
  options: WrapChildOptions<Extra>,
): Promise<SandboxProcess & Extra> {
  const { child, name } = options;
  const { stdin, stdout, stderr } = child;
  if (!stdin || !stdout || !stderr) {
    throw new SandboxError('invalid-argument', 'sandbox child needs piped stdin, stdout and stderr');
  }
  const exited = new Promise<SandboxExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => {
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) {
        resolve({ code: null, signal: null });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      child.off('spawn', onSpawn);
      reject(
        new SandboxError('runtime-failed', `cannot start sandbox ${name}: ${error.message}`, {
          cause: error,
        }),
      );
    };
    const onSpawn = () => {
      child.off('error', onError);
      resolve();
    };
    child.once('error', onError);
    child.once('spawn', onSpawn);
  });
  // Never let an EPIPE on a dead sandbox's stdin crash the host.
  stdin.on('error', () => {});
  let killing: Promise<void> | undefined;
  const kill = () => {
    killing ??= (async () => {
      await options.stop().catch(() => {});
      const grace = options.killGraceMs ?? 5_000;
      if (!(await settlesWithin(exited, grace))) child.kill('SIGKILL');
      await exited;
    })();
    return killing;
  };
  const base: SandboxProcess = {
    name,
    stdin: stdin as Writable,
    stdout: stdout as Readable,
    stderr: stderr as Readable,
    exited,
    kill,
  };
  return Object.assign(base, options.extra ?? ({} as Extra));
}
