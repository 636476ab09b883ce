/**
 * The shipped sources of the workspace: every .ts file under `packages/<p>/src` and `apps/<a>/src` that is
 * written by hand (not under a `generated/` folder) and is not a test or a test helper. The code-size and promise checks (check-long-functions.ts,
 * check-floating-promises.ts) read this set, so "what counts" is defined once.
 */
import path from 'node:path';
import { isTestOnlyFile, listSourceFiles, listWorkspacePackages } from './package-shape.js';

export interface ShippedSource {
  /** Absolute path. */
  file: string;
  /** Relative to the workspace root, forward slashes: `apps/host/src/host/compose-host.ts`. */
  rel: string;
}

/**
 * Files that exist to test something rather than to run in production: package-shape's test-only files
 * (`*.test.ts`, `__fixtures__/`, `test-utils/`, `test-utils.ts`), other test-helper modules
 * (`test-helpers.ts`, `test-support.ts`, `test-runtimes.ts`, anything under a `test/` folder) and the fakes
 * (`fake-*.ts`: stand-in servers for Discord, Slack, the model APIs...). `relToSrc` is relative to src/.
 */
export function isTestHelperFile(relToSrc: string): boolean {
  const segments = relToSrc.split(/[\\/]/);
  const base = segments[segments.length - 1] ?? '';
  if (isTestOnlyFile(relToSrc)) return true;
  if (segments.slice(0, -1).includes('test')) return true;
  return /^(test-(helpers|support|runtimes)|fake-.*)\.(ts|mts|cts|tsx)$/.test(base);
}

/** Code written by a generator (`src/generated/...`: the codex app-server protocol types). */
export function isGenerated(relToSrc: string): boolean {
  return relToSrc.split(/[\\/]/).slice(0, -1).includes('generated');
}

/** Shipped sources of every workspace package (or of `only`, package dirs like `packages/db`), sorted. */
export function listShippedSources(rootDir: string, only?: readonly string[]): ShippedSource[] {
  const out: ShippedSource[] = [];
  for (const pkg of listWorkspacePackages(rootDir)) {
    if (only && !only.includes(pkg.dir)) continue;
    const srcDir = path.join(pkg.absDir, 'src');
    for (const file of safeList(srcDir)) {
      const relToSrc = path.relative(srcDir, file);
      if (file.endsWith('.d.ts') || isGenerated(relToSrc) || isTestHelperFile(relToSrc)) continue;
      out.push({ file, rel: path.relative(rootDir, file).split(path.sep).join('/') });
    }
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return listSourceFiles(dir);
  } catch {
    return [];
  }
}
