import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Whether a systemd user unit can run here. */
export type SystemdStatus =
  | { ok: true }
  /** The machine was not booted with systemd (a container, WSL without systemd, another init). */
  | { ok: false; reason: 'not-booted'; detail: string }
  /** systemd runs, but this shell cannot reach the user's service manager (su/sudo, no login session). */
  | { ok: false; reason: 'no-user-bus'; detail: string };

export interface SystemdProbeDeps {
  /** Default: whether the path exists. */
  exists?: (path: string) => boolean;
  /** Default: `/proc/1/comm`. */
  pid1Name?: () => string | undefined;
  /** Runs `systemctl --user show-environment`. Default: spawns it (5 s timeout). */
  systemctlUser?: () => { status: number | null; stderr: string; error?: Error };
}

/**
 * Looks, as `sd_booted()` does, for `/run/systemd/system`, then asks the user manager for its environment (the
 * cheapest call that needs the user bus, as `systemctl --user enable` will).
 */
export function probeSystemd(deps: SystemdProbeDeps = {}): SystemdStatus {
  const exists = deps.exists ?? fs.existsSync;
  if (!exists('/run/systemd/system')) {
    const pid1 = (deps.pid1Name ?? readPid1Name)();
    return { ok: false, reason: 'not-booted', detail: pid1 ? `PID 1 is ${pid1}` : 'no /run/systemd/system' };
  }
  const result = (deps.systemctlUser ?? systemctlUser)();
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    return missing
      ? { ok: false, reason: 'not-booted', detail: 'systemctl is not installed' }
      : { ok: false, reason: 'no-user-bus', detail: result.error.message };
  }
  if (result.status === 0) return { ok: true };
  const detail = result.stderr.trim().split('\n')[0] || `systemctl --user exited with ${result.status}`;
  return { ok: false, reason: 'no-user-bus', detail };
}

function readPid1Name(): string | undefined {
  try {
    return fs.readFileSync('/proc/1/comm', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function systemctlUser(): { status: number | null; stderr: string; error?: Error } {
  const result = spawnSync('systemctl', ['--user', 'show-environment'], { encoding: 'utf8', timeout: 5_000 });
  return {
    status: result.status,
    stderr: result.stderr ?? '',
    ...(result.error ? { error: result.error } : {}),
  };
}
