import { describe, expect, it } from 'vitest';
import { type BuildProgress, createBuildProgress, formatProgress } from './build-progress.js';

/** A clock the test moves: each line is 2 s later, so every counted line is reported. */
function run(lines: string[]): { events: BuildProgress[]; failure: string } {
  let now = 0;
  const events: BuildProgress[] = [];
  const progress = createBuildProgress(
    (event) => events.push(event),
    () => now,
  );
  for (const line of lines) {
    now += 2_000;
    progress.line(line);
  }
  return { events, failure: progress.failure() };
}

describe('createBuildProgress', () => {
  it("reports mmdebstrap's phases, downloads counted against apt's total, installs across both install steps", () => {
    const { events } = run([
      'I: running apt-get update...',
      'Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]',
      'I: downloading packages with apt...',
      '0 upgraded, 2 newly installed, 0 to remove and 0 not upgraded.',
      'Get:1 http://deb.debian.org/debian bookworm/main amd64 bash',
      'Get:2 http://deb.debian.org/debian bookworm/main amd64 coreutils',
      'I: extracting archives...',
      'I: installing essential packages...',
      'Setting up bash (5.2.15-2+b7) ...',
      'Setting up coreutils (9.1-1) ...',
      'I: installing remaining packages inside the chroot...',
      '0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.',
      'Setting up git (1:2.39.5-0+deb12u2) ...',
      'I: running special hook: upload /usr/bin/node /usr/bin/node',
      'I: creating tarball...',
    ]);
    expect(events.map(formatProgress)).toEqual([
      '[  2s] reading the package lists',
      '[  6s] downloading packages',
      '[ 10s] downloading packages 1/2',
      '[ 12s] downloading packages 2/2',
      '[ 14s] extracting packages',
      '[ 16s] installing packages',
      '[ 18s] installing packages 1/2',
      '[ 20s] installing packages 2/2',
      '[ 26s] installing packages 3/3',
      '[ 28s] adding node and the agent user',
      '[ 30s] writing the root file system',
    ]);
  });

  it('reports at most one counted line a second', () => {
    let now = 0;
    const events: BuildProgress[] = [];
    const progress = createBuildProgress(
      (event) => events.push(event),
      () => now,
    );
    progress.line('I: downloading packages with apt...');
    for (let i = 0; i < 50; i++) {
      now += 100;
      progress.line(`Get:${i} http://x y`);
    }
    expect(events.length).toBe(1 + 5);
  });

  it("says what failed: apt's E: lines, else the last lines of output", () => {
    expect(
      run([
        'I: downloading packages with apt...',
        'E: Unable to locate package nosuchpkg',
        'E: mmdebstrap failed',
      ]).failure,
    ).toBe('Unable to locate package nosuchpkg\nmmdebstrap failed');
    expect(run(['something broke', 'badly']).failure).toBe('something broke\nbadly');
  });
});
