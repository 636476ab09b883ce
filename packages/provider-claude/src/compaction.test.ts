import fs from 'node:fs';
import path from 'node:path';
import type { AgentEvent } from '@nanoclaw/core';
import { closeSessionsAfterEach, collect, ofType, turnEnds, types } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import type { ClaudeProviderOptions } from './provider.js';
import type { ClaudeAgentSession } from './session.js';
import { type ClaudeTestWorld, cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

const { sessions, worlds } = closeSessionsAfterEach<ClaudeAgentSession, ClaudeTestWorld>(cleanupTempDirs);

async function start(options: ClaudeProviderOptions = {}) {
  const world = await createWorld();
  worlds.push(world);
  const session = await testProvider(world, options).startSession({ cwd: world.cwd, env: world.env });
  sessions.push(session);
  return { world, session };
}

function archives(world: ClaudeTestWorld): string[] {
  const dir = path.join(world.cwd, 'conversations');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((file) => path.join(dir, file)) : [];
}

/** Turns that carry the compaction summary as their text: never allowed. */
const summaryLeaks = (events: AgentEvent[]) =>
  [
    ...ofType(events, 'text-delta').map((e) => e.delta),
    ...ofType(events, 'turn-end').map((e) => e.text),
  ].filter((text) => text.includes('fake compaction'));

describe('claude compaction', () => {
  it('compact() runs /compact before the next run: compaction-end requested, the transcript archived, no reply text', async () => {
    const { world, session } = await start();
    world.fake.on('remember', { text: 'Noted: MANGO.' });
    world.fake.on('after', { text: 'After compaction.' });
    await collect(session.prompt({ text: 'remember MANGO' }));
    await session.compact();

    const events = await collect(session.prompt({ text: 'after' }));
    expect(types(events).slice(0, 2)).toEqual(['compaction-end', 'turn-start']);
    expect(ofType(events, 'compaction-end')).toEqual([
      { type: 'compaction-end', ok: true, reason: 'requested' },
    ]);
    expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'After compaction.' }]);
    expect(summaryLeaks(events)).toEqual([]);
    expect(world.fake.requests.some((request) => request.kind === 'compaction')).toBe(true);
    // The model now sees the summary instead of the history.
    const after = world.fake.agentRequests().at(-1)!;
    expect(JSON.stringify(after.body)).toContain('fake compaction');

    const [archive, ...more] = archives(world);
    expect(more).toEqual([]);
    expect(path.basename(archive!)).toBe(
      `${new Date().toISOString().slice(0, 10)}-${session.continuation}.md`,
    );
    const text = fs.readFileSync(archive!, 'utf8');
    expect(text).toContain('remember MANGO');
    expect(text).toContain('Noted: MANGO.');
    expect(text).toContain('before requested compaction');
  });

  it('reports a compaction Claude Code runs on its own (context full) as compaction-end runtime inside the turn', async () => {
    const { world, session } = await start({
      extraEnv: { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '30000', CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: '50' },
    });
    world.fake.script({ text: 'Small talk.' });
    world.fake.on('huge', { text: 'Huge answer.', usage: { inputTokens: 150_000, outputTokens: 5_000 } });
    world.fake.on('next', { text: 'Next answer.' });
    for (const text of ['one', 'two', 'three', 'huge']) await collect(session.prompt({ text }));

    const events = await collect(session.prompt({ text: 'next' }));
    expect(ofType(events, 'compaction-end')).toEqual([
      { type: 'compaction-end', ok: true, reason: 'runtime' },
    ]);
    expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'Next answer.' }]);
    expect(summaryLeaks(events)).toEqual([]);
    const [archive] = archives(world);
    expect(fs.readFileSync(archive!, 'utf8')).toContain('before automatic compaction');
  });

  it('archives nothing when archiving is off', async () => {
    const { world, session } = await start({ archiveOnCompact: false });
    await collect(session.prompt({ text: 'hello' }));
    await session.compact();
    const events = await collect(session.prompt({ text: 'again' }));
    expect(ofType(events, 'compaction-end')[0]).toMatchObject({ ok: true, reason: 'requested' });
    expect(archives(world)).toEqual([]);
  });

  it('reports a compaction with nothing to compact as ok: false; the run goes on', async () => {
    const { world, session } = await start();
    world.fake.on('first', { text: 'First.' });
    await session.compact();
    const events = await collect(session.prompt({ text: 'first' }));
    expect(ofType(events, 'compaction-end')).toEqual([
      { type: 'compaction-end', ok: false, reason: 'requested', error: 'nothing was compacted' },
    ]);
    expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'First.' }]);
  });
});
