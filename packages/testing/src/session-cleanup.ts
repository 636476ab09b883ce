/** What a provider test file opens, closed for it: sessions and the fake model servers of its worlds. */
import { afterAll, afterEach } from 'vitest';

interface Closable {
  close(): Promise<unknown>;
}

/** The lists a test file pushes what it opened into; `closeSessionsAfterEach` empties them. */
export interface OpenedInTest<Session, World> {
  sessions: Session[];
  worlds: World[];
}

/**
 * After each test, closes the sessions it opened, then the fake model server of each world it made (in the order
 * pushed); after all tests, calls `cleanupTempDirs`. Call once at the top of a test file.
 */
export function closeSessionsAfterEach<Session extends Closable, World extends { fake: Closable }>(
  cleanupTempDirs: () => void,
): OpenedInTest<Session, World> {
  const opened: OpenedInTest<Session, World> = { sessions: [], worlds: [] };
  afterEach(async () => {
    for (const session of opened.sessions.splice(0)) await session.close();
    for (const world of opened.worlds.splice(0)) await world.fake.close();
  });
  afterAll(cleanupTempDirs);
  return opened;
}
