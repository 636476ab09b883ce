import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signalProcessGroup } from './process-group.js';

/** Running and not a zombie (an orphan waits for a reaper that a container's init may never be). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe.skipIf(process.platform !== 'linux')('signalProcessGroup', () => {
  it('kills the leader and what it started', async () => {
    // The shell starts a grandchild that would outlive a plain child.kill().
    const child = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const grandchild = Number(line.toString().trim());
    expect(alive(grandchild)).toBe(true);
    expect(signalProcessGroup(child, 'SIGKILL')).toBe(true);
    await once(child, 'exit');
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(grandchild)).toBe(false);
  });

  it('falls back to the child when it leads no group, and never throws once it is gone', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    expect(signalProcessGroup(child, 'SIGTERM')).toBe(true);
    await once(child, 'exit');
    expect(() => signalProcessGroup(child, 'SIGKILL')).not.toThrow();
    expect(signalProcessGroup({ pid: undefined, kill: () => true })).toBe(false);
  });
});
