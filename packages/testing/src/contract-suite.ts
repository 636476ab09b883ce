import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';

/** What a contract keeps between its cases: how to set its world up and tear it down, and the per-test timeout. */
export interface ContractSuite {
  readonly timeout: number;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
}

/**
 * A contract's `describe` block: `suite.setUp()` / `suite.tearDown()` around every test (`per-test`, a fresh
 * world each) or once around all of them (`per-suite`), then its sections of cases, in order.
 */
export function describeContract<S extends ContractSuite>(
  title: string,
  suite: S,
  sections: readonly ((suite: S) => void)[],
  world: 'per-test' | 'per-suite' = 'per-test',
): void {
  describe(title, () => {
    const [before, after] = world === 'per-test' ? [beforeEach, afterEach] : [beforeAll, afterAll];
    before(() => suite.setUp(), suite.timeout);
    after(() => suite.tearDown(), suite.timeout);
    for (const section of sections) section(suite);
  });
}
