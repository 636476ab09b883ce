/** `ok` ✓, `fail` ✗, `warn` ! (works, but look), `info` · (not in use). */
export type CheckStatus = 'ok' | 'fail' | 'warn' | 'info';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it. */
  hint?: string;
  /** A failure that stops the host from starting, or every agent from running (no sandbox runtime). */
  blocking?: boolean;
}

const MARKS: Record<CheckStatus, string> = { ok: '✓', fail: '✗', warn: '!', info: '·' };

export function ok(name: string, detail: string): DoctorCheck {
  return { name, status: 'ok', detail };
}

export function fail(name: string, detail: string, hint: string, blocking: boolean): DoctorCheck {
  return { name, status: 'fail', detail, hint, blocking };
}

export function warn(name: string, detail: string, hint?: string): DoctorCheck {
  return { name, status: 'warn', detail, ...(hint === undefined ? {} : { hint }) };
}

export function info(name: string, detail: string, hint?: string): DoctorCheck {
  return { name, status: 'info', detail, ...(hint === undefined ? {} : { hint }) };
}

/** One line per check (continuation lines indented), the fix hint under it, then a summary. */
export function formatDoctorReport(checks: DoctorCheck[]): string {
  const width = Math.max(...checks.map((check) => check.name.length));
  const pad = ' '.repeat(width + 3);
  const lines = checks.flatMap((check) => {
    const [first = '', ...rest] = check.detail.split('\n');
    return [
      `${MARKS[check.status]} ${check.name.padEnd(width)} ${first}`,
      ...rest.map((line) => `${pad}${line}`),
      ...(check.hint ? [`${pad}→ ${check.hint}`] : []),
    ];
  });
  return [...lines, '', summarize(checks)].join('\n');
}

export function blocksStart(checks: DoctorCheck[]): boolean {
  return checks.some((check) => check.status === 'fail' && check.blocking === true);
}

function summarize(checks: DoctorCheck[]): string {
  const failures = checks.filter((check) => check.status === 'fail');
  if (failures.length === 0) return 'all good: the host can start';
  const blocking = failures.filter((check) => check.blocking).length;
  const problems = `${failures.length} problem${failures.length === 1 ? '' : 's'}`;
  return blocking > 0
    ? `${problems}; ${blocking} ${blocking === 1 ? 'stops' : 'stop'} the host or its agents from running`
    : `${problems}; none stops the host from starting`;
}
