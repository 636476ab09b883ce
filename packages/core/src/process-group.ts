/** What `signalProcessGroup` needs of a child: node's `ChildProcess` and execa's subprocess both fit. */
export interface GroupLeader {
  readonly pid?: number | undefined;
  kill(signal?: NodeJS.Signals | number): boolean;
}

/**
 * Sends `signal` to the process group `child` leads (spawned with `detached: true`), so the commands and servers it
 * started go too; falls back to the child alone where there is no group (Windows, or not detached). Never throws:
 * a group that is already gone is the goal reached. Returns false when nothing was signalled.
 */
export function signalProcessGroup(child: GroupLeader, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (child.pid === undefined) return false;
  if (process.platform !== 'win32') {
    try {
      process.kill(-child.pid, signal);
      return true;
    } catch {
      // no such group: not detached, or already gone; try the child itself
    }
  }
  try {
    return child.kill(signal);
  } catch {
    return false;
  }
}
