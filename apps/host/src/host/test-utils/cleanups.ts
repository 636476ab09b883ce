import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

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

/**
 * A fresh fixture per test: `create` runs before each test of the file and the fixture's `cleanup` after it. The
 * returned object stands for the current test's fixture (call it only inside tests and hooks).
 */
export function perTest<T extends { cleanup(): Promise<unknown> | unknown }>(create: () => Promise<T>): T {
  let current: T | undefined;
  beforeEach(async () => {
    current = await create();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return new Proxy({} as T, {
    get: (_target, key) => {
      if (!current) throw new Error('a per-test fixture is used outside a test');
      const value: unknown = Reflect.get(current, key, current);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
