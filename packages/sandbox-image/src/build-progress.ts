/** Where a userland build is, for a progress line (`downloading packages 41/142`). */
export interface BuildProgress {
  phase: 'update' | 'download' | 'extract' | 'install' | 'customize' | 'pack' | 'npm' | 'verify' | 'done';
  /** A human line: `downloading packages`. */
  label: string;
  /** Packages handled in this phase so far, and how many there are when known. */
  done?: number;
  total?: number;
  elapsedMs: number;
}

export type ProgressListener = (progress: BuildProgress) => void;

const PHASES: ReadonlyArray<[RegExp, BuildProgress['phase'], string]> = [
  [/^I: running apt-get update/, 'update', 'reading the package lists'],
  [/^I: downloading packages/, 'download', 'downloading packages'],
  [/^I: extracting archives/, 'extract', 'extracting packages'],
  [/^I: installing (essential|remaining) packages/, 'install', 'installing packages'],
  [/^I: running (special hook|--customize-hook)/, 'customize', 'adding node and the agent user'],
  [/^I: creating tarball/, 'pack', 'writing the root file system'],
];

/**
 * Turns mmdebstrap's `--verbose` output into progress events: its `I:` phase lines, apt's `Get:` lines while
 * downloading, dpkg's `Setting up` lines while installing, and the `N newly installed` totals. Keeps the `E:`
 * lines and the last lines of output for an error message.
 */
export function createBuildProgress(listener: ProgressListener, now: () => number = Date.now) {
  const started = now();
  const tail: string[] = [];
  const errors: string[] = [];
  let phase: BuildProgress['phase'] | undefined;
  let label = 'starting';
  let done = 0;
  let total = 0;
  let lastEmit = 0;

  const emit = (force: boolean) => {
    if (!phase) return;
    const at = now();
    if (!force && at - lastEmit < 1_000) return;
    lastEmit = at;
    const counted = phase === 'download' || phase === 'install';
    listener({
      phase,
      label,
      ...(counted && done > 0 ? { done } : {}),
      ...(counted && total > 0 ? { total } : {}),
      elapsedMs: at - started,
    });
  };

  return {
    line(raw: string): void {
      const line = raw.trimEnd();
      if (!line) return;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (line.startsWith('E: ')) errors.push(line.slice(3));
      const next = PHASES.find(([pattern]) => pattern.test(line));
      if (next && next[1] !== phase) {
        [, phase, label] = next;
        done = 0;
        if (phase === 'download') total = 0;
        emit(true);
        return;
      }
      const installed = line.match(/^\d+ upgraded, (\d+) newly installed/);
      if (installed?.[1]) total += Number(installed[1]);
      if (
        (phase === 'download' && /^Get:\d+ /.test(line)) ||
        (phase === 'install' && /^Setting up /.test(line))
      ) {
        done++;
        emit(false);
      }
    },
    /** The `E:` lines, else the last lines of output: what a failed build says. */
    failure(): string {
      return (errors.length > 0 ? errors : tail.slice(-12)).join('\n');
    },
    finish(): void {
      phase = 'done';
      label = 'done';
      emit(true);
    },
  };
}

/** `[ 41s] downloading packages 41/142` */
export function formatProgress(progress: BuildProgress): string {
  const seconds = `${Math.round(progress.elapsedMs / 1000)}s`.padStart(4);
  const count =
    progress.done !== undefined
      ? ` ${progress.done}${progress.total !== undefined ? `/${progress.total}` : ''}`
      : '';
  return `[${seconds}] ${progress.label}${count}`;
}
