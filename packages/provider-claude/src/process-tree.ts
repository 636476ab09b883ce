import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Pids of the live descendants of `pid` (Linux /proc; empty elsewhere). */
export function descendantPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentPid(entry);
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function parentPid(pid: string): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined; // gone meanwhile
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function waitExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Ends `pid` and everything it started: waits `graceMs` for it to exit by itself (stdin closed), then SIGTERM,
 * then SIGKILL after `killMs`; finally SIGKILLs descendants left behind (a shell command still running when
 * Claude Code exits is not killed by it).
 */
export async function terminateTree(
  pid: number,
  options: { graceMs: number; killMs: number },
): Promise<void> {
  const tree = new Set(descendantPids(pid));
  if (!(await waitExit(pid, options.graceMs))) {
    for (const child of descendantPids(pid)) tree.add(child);
    signal(pid, 'SIGTERM');
    if (!(await waitExit(pid, options.killMs))) {
      for (const child of descendantPids(pid)) tree.add(child);
      signal(pid, 'SIGKILL');
      await waitExit(pid, options.killMs);
    }
  }
  for (const child of tree) if (isRunning(child)) signal(child, 'SIGKILL');
}
