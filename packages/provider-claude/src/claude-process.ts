import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { SpawnedProcess, SpawnOptions } from '@anthropic-ai/claude-agent-sdk';
import { signalProcessGroup } from '@nanoclaw/core';

/**
 * Claude Code as the SDK would start it, but leading a process group of its own, so that stopping it also ends the
 * commands its tools started (a shell command still running when Claude Code exits is not killed by Claude Code).
 * Its stderr goes to `onStderr`, as the SDK's own spawner sends it to `Options.stderr`.
 */
export function spawnInOwnGroup(
  onStderr: (data: string) => void,
  onSpawn: (child: ChildProcessWithoutNullStreams) => void,
): (options: SpawnOptions) => SpawnedProcess {
  return (options) => {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', onStderr);
    // The SDK aborts this only after its own stdin-EOF grace; then the whole group goes.
    options.signal.addEventListener('abort', () => signalProcessGroup(child, 'SIGTERM'), { once: true });
    onSpawn(child);
    return child;
  };
}

/** Whether `child` has exited within `ms`. */
async function exitedWithin(child: ChildProcessWithoutNullStreams, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const timeout = AbortSignal.timeout(ms);
  try {
    await once(child, 'exit', { signal: timeout });
    return true;
  } catch {
    return child.exitCode !== null || child.signalCode !== null;
  }
}

/**
 * Ends Claude Code and everything in its group: waits `graceMs` for it to exit by itself (stdin closed), then
 * SIGTERM to the group, then SIGKILL after `killMs`; finally SIGKILLs whatever is left in the group.
 */
export async function endProcessGroup(
  child: ChildProcessWithoutNullStreams,
  options: { graceMs: number; killMs: number },
): Promise<void> {
  if (!(await exitedWithin(child, options.graceMs))) {
    signalProcessGroup(child, 'SIGTERM');
    if (!(await exitedWithin(child, options.killMs))) {
      signalProcessGroup(child, 'SIGKILL');
      await exitedWithin(child, options.killMs);
    }
  }
  signalProcessGroup(child, 'SIGKILL');
}
