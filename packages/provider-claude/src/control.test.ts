import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentEvent } from '@nanoclaw/core';
import {
  closeSessionsAfterEach,
  collect,
  descendants,
  isAlive,
  ofType,
  turnEnds,
  waitFor,
} from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { ClaudeProviderError } from './errors.js';
import type { ClaudeAgentSession } from './session.js';
import { type ClaudeTestWorld, cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

const { sessions, worlds } = closeSessionsAfterEach<ClaudeAgentSession, ClaudeTestWorld>(cleanupTempDirs);

async function start() {
  const world = await createWorld();
  worlds.push(world);
  const session = await testProvider(world).startSession({ cwd: world.cwd, env: world.env });
  sessions.push(session);
  return { world, session };
}

const sawPrompt = (world: ClaudeTestWorld, text: string) => () =>
  world.fake.agentRequests().some((request) => request.lastUserText.includes(text));

describe('claude session control', () => {
  it('runs follow-ups pushed during a turn as next turns, in order, never mid-turn', async () => {
    const { world, session } = await start();
    world.fake.on('long', { text: 'Long.', delayMs: 800 });
    world.fake.on('f1', { text: 'One.' });
    world.fake.on('f2', { text: 'Two.' });
    const events: AgentEvent[] = [];
    for await (const event of session.prompt({ text: 'long' })) {
      events.push(event);
      if (event.type === 'turn-start' && events.length === 1) {
        expect(session.busy).toBe(true);
        expect(session.push({ text: 'f1' })).toBe(true);
        expect(session.push({ text: 'f2' })).toBe(true);
      }
    }
    expect(turnEnds(events).map((end) => end.text)).toEqual(['Long.', 'One.', 'Two.']);
    expect(ofType(events, 'turn-start').map((event) => event.input.text)).toEqual(['long', 'f1', 'f2']);
    // Each follow-up reached the model as its own prompt, after the previous answer.
    expect(world.fake.agentRequests().map((request) => request.lastUserText)).toEqual(['long', 'f1', 'f2']);
    expect(session.busy).toBe(false);
  });

  it('interrupt() ends the turn as interrupted; queued follow-ups still run', async () => {
    const { world, session } = await start();
    world.fake.on('slow', { text: 'Too late.', delayMs: 20_000 });
    world.fake.on('after-1', { text: 'After one.' });
    world.fake.on('after-2', { text: 'After two.' });
    const events: AgentEvent[] = [];
    let tookMs = 0;
    for await (const event of session.prompt({ text: 'slow' })) {
      events.push(event);
      if (event.type === 'turn-start' && event.input.text === 'slow') {
        session.push({ text: 'after-1' });
        session.push({ text: 'after-2' });
        await waitFor(sawPrompt(world, 'slow'));
        const startedAt = Date.now();
        await session.interrupt();
        tookMs = Date.now() - startedAt;
      }
    }
    expect(turnEnds(events)).toEqual([
      { status: 'interrupted', text: '' },
      { status: 'completed', text: 'After one.' },
      { status: 'completed', text: 'After two.' },
    ]);
    expect(ofType(events, 'error')).toEqual([]);
    expect(tookMs).toBeLessThan(3_000);
  });

  it('an aborted signal interrupts the turn and drops the queue; the session stays usable', async () => {
    const { world, session } = await start();
    world.fake.on('slow', { text: 'Too late.', delayMs: 20_000 });
    world.fake.on('next', { text: 'Next.' });
    const abort = new AbortController();
    const events: AgentEvent[] = [];
    for await (const event of session.prompt({ text: 'slow' }, { signal: abort.signal })) {
      events.push(event);
      if (event.type === 'turn-start') {
        session.push({ text: 'dropped' });
        await waitFor(sawPrompt(world, 'slow'));
        abort.abort();
      }
    }
    expect(turnEnds(events).map((end) => end.status)).toEqual(['interrupted']);
    expect(session.busy).toBe(false);
    expect(turnEnds(await collect(session.prompt({ text: 'next' })))).toEqual([
      { status: 'completed', text: 'Next.' },
    ]);
    expect(sawPrompt(world, 'dropped')()).toBe(false);
  });

  it('close() during a turn ends its stream, kills Claude Code and its children, and is idempotent', async () => {
    const { world, session } = await start();
    world.fake.on('sleepy', {
      command: `${process.execPath} -e "setTimeout(() => {}, 30000)"`,
      text: 'never',
    });
    const pid = session.pid!;
    const events: AgentEvent[] = [];
    let children: number[] = [];
    for await (const event of session.prompt({ text: 'sleepy' })) {
      events.push(event);
      if (event.type === 'tool-call') {
        await sleep(200);
        children = descendants(pid);
        await Promise.all([session.close(), session.close()]);
      }
    }
    expect(turnEnds(events).map((end) => end.status)).toEqual(['interrupted']);
    expect(await waitFor(() => !isAlive(pid) && children.every((child) => !isAlive(child)))).toBe(true);
    expect(session.pid).toBeUndefined();
    await session.close();
    expect(() => session.prompt({ text: 'again' })).toThrow(ClaudeProviderError);
    await expect(session.compact()).rejects.toThrow(/closed/);
  });
});
