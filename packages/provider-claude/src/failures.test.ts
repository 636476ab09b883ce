import { closeSessionsAfterEach, collect, isAlive, ofType, turnEnds, waitFor } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { ClaudeProviderError } from './errors.js';
import type { ClaudeAgentSession } from './session.js';
import { type ClaudeTestWorld, cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

const { sessions, worlds } = closeSessionsAfterEach<ClaudeAgentSession, ClaudeTestWorld>(cleanupTempDirs);

async function start(world?: ClaudeTestWorld, continuation?: string) {
  const w = world ?? (await createWorld());
  if (!world) worlds.push(w);
  const session = await testProvider(w).startSession({ cwd: w.cwd, env: w.env, continuation });
  sessions.push(session);
  return { world: w, session };
}

describe('claude failures', () => {
  it('a model error becomes an error event with the API message and a failed turn; the next turn works', async () => {
    const { world, session } = await start();
    world.fake.on('boom', { error: { status: 500, message: 'scripted 500' } });
    world.fake.on('denied', { error: { status: 401, message: 'bad key', type: 'authentication_error' } });
    world.fake.on('fine', { text: 'Fine.' });

    const failed = await collect(session.prompt({ text: 'boom' }));
    expect(turnEnds(failed)).toEqual([{ status: 'failed', text: '' }]);
    expect(ofType(failed, 'error')).toEqual([
      expect.objectContaining({
        code: 'model-error',
        retryable: true,
        message: expect.stringContaining('API Error: 500 scripted 500'),
      }),
    ]);
    expect(ofType(failed, 'text-delta')).toEqual([]);

    const denied = await collect(session.prompt({ text: 'denied' }));
    expect(ofType(denied, 'error')[0]).toMatchObject({
      retryable: false,
      message: expect.stringContaining('401'),
    });

    expect(turnEnds(await collect(session.prompt({ text: 'fine' })))).toEqual([
      { status: 'completed', text: 'Fine.' },
    ]);
  });

  it.each([
    [
      'an unknown session id',
      '00000000-0000-4000-8000-000000000000',
      /No conversation found with session ID/,
    ],
    ['a malformed id', 'not-a-uuid', /is not a UUID/],
  ])(
    'startSession rejects %s with a session-invalid error, before any model request',
    async (_, id, text) => {
      const world = await createWorld();
      worlds.push(world);
      const provider = testProvider(world);
      const error = await provider
        .startSession({ cwd: world.cwd, env: world.env, continuation: id })
        .catch((e) => e);
      expect(error).toBeInstanceOf(ClaudeProviderError);
      expect(error.code).toBe('session-invalid');
      expect(error.message).toMatch(text);
      expect(provider.isSessionInvalid(error)).toBe(true);
      expect(world.fake.requests.filter((request) => request.kind === 'agent')).toEqual([]);
    },
  );

  it('restarts Claude Code after it died between turns and resumes the conversation', async () => {
    const { world, session } = await start();
    world.fake.on('remember', { text: 'Noted.' });
    world.fake.on('recall', { text: 'It was KIWI.' });
    await collect(session.prompt({ text: 'remember KIWI' }));
    const first = session.pid!;
    const continuation = session.continuation;
    process.kill(first, 'SIGKILL');
    await waitFor(() => !isAlive(first));

    const events = await collect(session.prompt({ text: 'recall' }));
    // On failure, say what the session reported (failed once in CI on a heavily loaded machine).
    expect(turnEnds(events), JSON.stringify(ofType(events, 'error'))).toEqual([
      { status: 'completed', text: 'It was KIWI.' },
    ]);
    expect(session.pid).not.toBe(first);
    expect(session.continuation).toBe(continuation);
    const recall = world.fake.agentRequests().find((request) => request.lastUserText === 'recall');
    expect(JSON.stringify(recall?.body)).toContain('remember KIWI');
    expect(
      world.logs.some((line) => line.level === 'error' && /exited unexpectedly/.test(line.message)),
    ).toBe(true);
  });

  it('fails the running turn when Claude Code dies under it', async () => {
    const { world, session } = await start();
    world.fake.on('slow', { text: 'never', delayMs: 20_000 });
    world.fake.on('again', { text: 'Back.' });
    const events = [];
    for await (const event of session.prompt({ text: 'slow' })) {
      events.push(event);
      if (event.type === 'turn-start') {
        await waitFor(() => world.fake.agentRequests().length > 0);
        process.kill(session.pid!, 'SIGKILL');
      }
    }
    expect(turnEnds(events)).toEqual([{ status: 'failed', text: '' }]);
    expect(ofType(events, 'error')[0]).toMatchObject({ code: 'runtime-exited', retryable: true });
    expect(turnEnds(await collect(session.prompt({ text: 'again' })))).toEqual([
      { status: 'completed', text: 'Back.' },
    ]);
  });

  it('resumes with a new provider instance from the stored continuation', async () => {
    const { world, session } = await start();
    world.fake.on('first', { text: 'First.' });
    await collect(session.prompt({ text: 'first' }));
    const continuation = session.continuation!;
    await session.close();
    const { session: resumed } = await start(world, continuation);
    expect(resumed.continuation).toBe(continuation);
    await collect(resumed.prompt({ text: 'second' }));
    const second = world.fake.agentRequests().at(-1)!;
    expect(second.headers['x-claude-code-session-id']).toBe(continuation);
    expect(JSON.stringify(second.body)).toContain('First.');
  });
});
