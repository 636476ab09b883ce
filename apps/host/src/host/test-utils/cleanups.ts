import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

export interface TestCleanups {
  /** Runs after the current test, after those added later. */
  add(cleanup: () => Promise<unknown> | unknown): void;
  /** A new temp folder (a scratch project), removed after the test. */
  scratch(prefix: string): string;
}

/** Cleanups that run after each test of the file, last added first. Call once at the top of a test file. */
export function useCleanups(): TestCleanups {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    add: (cleanup) => {
      cleanups.push(cleanup);
    },
    scratch: (prefix) => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
      cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
      return root;
    },
  };
}
