import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSessionStore,
  MAIN_SESSION_KEY,
  type SessionStore,
  taskSessionKey,
  threadSessionKey,
} from './session-store.js';
import { createFamilyEnv, type TestEnv } from './test-support.js';

let env: TestEnv;
let sessions: SessionStore;
let clock = 1_000;
let ids = 0;

beforeEach(async () => {
  ({ env } = await createFamilyEnv());
  clock = 1_000;
  ids = 0;
  sessions = createSessionStore(env.database.db, { now: () => clock, generateId: () => `s${++ids}` });
});
afterEach(() => env.cleanup());

describe('session keys', () => {
  it('are distinct per kind', () => {
    expect(MAIN_SESSION_KEY).toBe('main');
    expect(threadSessionKey({ channel: 'slack', accountId: 'w', chatId: 'C1', threadId: '17.2' })).toBe(
      'thread:slack:w:C1:17.2',
    );
    expect(taskSessionKey('t1')).toBe('task:t1');
  });
});

describe('createSessionStore', () => {
  it('gets or creates one session per (group, key)', async () => {
    const first = await sessions.getOrCreate('grp', 'main');
    clock = 2_000;
    const again = await sessions.getOrCreate('grp', 'main');
    const thread = await sessions.getOrCreate('grp', 'thread:x');
    expect(again).toEqual(first);
    expect(first).toEqual({
      id: 's1',
      groupId: 'grp',
      key: 'main',
      agentProvider: null,
      continuations: {},
      createdAt: 1_000,
      lastActiveAt: 1_000,
    });
    expect(thread.id).not.toBe(first.id);
    expect((await sessions.list('grp')).map((s) => s.key)).toEqual(['main', 'thread:x']);
  });

  it('keeps a continuation per session and per provider', async () => {
    const a = await sessions.getOrCreate('grp', 'main');
    const b = await sessions.getOrCreate('grp', 'task:t1');
    await sessions.saveContinuation(a.id, 'codex', 'thread-1');
    await sessions.saveContinuation(a.id, 'claude', 'sess-9');
    await sessions.saveContinuation(b.id, 'codex', 'thread-2');
    await sessions.saveContinuation(a.id, 'codex', 'thread-1b');
    expect((await sessions.get(a.id))?.continuations).toEqual({ claude: 'sess-9', codex: 'thread-1b' });
    expect(await sessions.getContinuation(b.id, 'codex')).toBe('thread-2');
    expect(await sessions.getContinuation(b.id, 'claude')).toBeUndefined();

    await sessions.clearContinuation(a.id, 'codex');
    expect((await sessions.get(a.id))?.continuations).toEqual({ claude: 'sess-9' });
    await sessions.startFresh(a.id);
    expect((await sessions.get(a.id))?.continuations).toEqual({});
    expect(await sessions.getContinuation(b.id, 'codex')).toBe('thread-2');
  });

  it('pins a provider per session and records activity', async () => {
    const session = await sessions.getOrCreate('grp', 'main');
    await sessions.setProvider(session.id, 'codex');
    clock = 5_000;
    await sessions.touch(session.id);
    expect(await sessions.get(session.id)).toMatchObject({ agentProvider: 'codex', lastActiveAt: 5_000 });
    await sessions.setProvider(session.id, null);
    expect((await sessions.get(session.id))?.agentProvider).toBeNull();
  });
});
