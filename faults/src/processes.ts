/** The host's sandboxes as processes (Linux /proc): to kill a sandbox or freeze its runner from outside. */
import fs from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
}

function readProcs(): Proc[] {
  const procs: Proc[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (state === 'Z') continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      procs.push({ pid: Number(entry), ppid: Number(ppid), comm, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return procs;
}

/** Every live process below `pid`. */
export function descendants(pid: number): Proc[] {
  const procs = readProcs();
  const below: Proc[] = [];
  const parents = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const proc of procs) {
      if (parents.has(proc.ppid) && !parents.has(proc.pid)) {
        parents.add(proc.pid);
        below.push(proc);
        grew = true;
      }
    }
  }
  return below;
}

/** The agent-runner processes (node …/main.js inside a sandbox) below the host. */
export function runners(hostPid: number): Proc[] {
  return descendants(hostPid).filter((p) => /\bnode\b.*\/app\/main\.js/.test(p.cmdline));
}

/** The sandboxes (bwrap processes the host started directly). */
export function sandboxes(hostPid: number): Proc[] {
  return descendants(hostPid).filter((p) => p.ppid === hostPid && p.comm === 'bwrap');
}

/** kill -9 a sandbox and everything in it, from outside: what an OOM kill or `docker kill` does. */
export function killTree(pid: number): void {
  for (const proc of [...descendants(pid).reverse(), { pid }]) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
