import fs from 'node:fs';
import path from 'node:path';
import { agentEventSchema } from '@nanoclaw/core';
import { closeSessionsAfterEach, collect, ofType, processEnv, turnEnds, types } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { resolveClaudeBinary } from './binary.js';
import type { ClaudeAgentSession } from './session.js';
import { type ClaudeTestWorld, cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

const { sessions, worlds } = closeSessionsAfterEach<ClaudeAgentSession, ClaudeTestWorld>(cleanupTempDirs);

async function start(options: { instructions?: string } = {}) {
  const world = await createWorld();
  worlds.push(world);
  const session = await testProvider(world).startSession({ cwd: world.cwd, env: world.env, ...options });
  sessions.push(session);
  return { world, session };
}

describe('claude session', () => {
  it('spawns the native binary directly with an env built from the session env only', async () => {
    process.env.NANOCLAW_CLAUDE_LEAK = 'leaked';
    process.env.HTTPS_PROXY = 'http://proxy.invalid:3128';
    try {
      const { world, session } = await start();
      const pid = session.pid!;
      expect(pid).toEqual(expect.any(Number));
      expect(fs.realpathSync(`/proc/${pid}/exe`)).toBe(fs.realpathSync(resolveClaudeBinary()!));
      const env = processEnv(pid);
      expect(env.NANOCLAW_CLAUDE_LEAK).toBeUndefined();
      expect(env.HTTPS_PROXY).toBeUndefined();
      expect(env).toMatchObject({
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        IS_SANDBOX: '1',
        ANTHROPIC_BASE_URL: world.fake.baseUrl,
        HOME: world.home,
        CLAUDE_CODE_MAX_RETRIES: '0',
      });
    } finally {
      delete process.env.NANOCLAW_CLAUDE_LEAK;
      delete process.env.HTTPS_PROXY;
    }
  });

  it('knows its continuation before the first turn and Claude Code uses it as the session id', async () => {
    const { world, session } = await start();
    const continuation = session.continuation;
    expect(continuation).toMatch(/^[0-9a-f-]{36}$/);
    await collect(session.prompt({ text: 'first' }));
    expect(session.continuation).toBe(continuation);
    expect(world.fake.agentRequests()[0]?.headers['x-claude-code-session-id']).toBe(continuation);
  });

  it('streams text deltas, tool calls of every kind and the final text of a multi-step turn', async () => {
    const { world, session } = await start();
    world.fake.on('build', {
      command: 'echo built > built.txt && echo done',
      preface: 'Building.',
      // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
      then: {
        tool: { name: 'Write', input: { file_path: path.join(world.cwd, 'notes.md'), content: 'note\n' } },
        // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
        then: { text: 'All done.', deltas: 4 },
      },
    });
    const events = await collect(session.prompt({ text: 'build it' }));

    for (const event of events) agentEventSchema.parse(event);
    expect(types(events)[0]).toBe('turn-start');
    expect(types(events).at(-1)).toBe('turn-end');
    expect(fs.readFileSync(path.join(world.cwd, 'built.txt'), 'utf8')).toBe('built\n');
    expect(fs.readFileSync(path.join(world.cwd, 'notes.md'), 'utf8')).toBe('note\n');
    const calls = ofType(events, 'tool-call');
    expect(calls.map((call) => [call.kind, call.name])).toEqual([
      ['command', 'Bash'],
      ['builtin', 'Write'],
    ]);
    const results = ofType(events, 'tool-result');
    expect(results.map((result) => result.callId)).toEqual(calls.map((call) => call.callId));
    expect(results[0]).toMatchObject({ output: 'done', isError: false });
    expect(
      ofType(events, 'text-delta')
        .map((event) => event.delta)
        .join(''),
    ).toBe('Building.All done.');
    expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'All done.' }]);
    expect(ofType(events, 'usage')).toEqual([
      expect.objectContaining({ inputTokens: 300, cachedInputTokens: 0, outputTokens: 30 }),
    ]);
  });

  it('reports cache reads as cached input tokens', async () => {
    const { world, session } = await start();
    world.fake.on('cached', {
      text: 'ok',
      usage: { inputTokens: 10, cacheReadInputTokens: 900, cacheCreationInputTokens: 90, outputTokens: 7 },
    });
    const events = await collect(session.prompt({ text: 'cached' }));
    expect(ofType(events, 'usage')[0]).toMatchObject({
      inputTokens: 100,
      cachedInputTokens: 900,
      outputTokens: 7,
    });
  });

  it('appends the instructions to the Claude Code system prompt', async () => {
    const { world, session } = await start({ instructions: 'You are Andy, the NanoClaw assistant.' });
    await collect(session.prompt({ text: 'who are you' }));
    const system = JSON.stringify(
      (world.fake.agentRequests()[0]?.body as { system?: unknown } | undefined)?.system,
    );
    expect(system).toContain('You are Andy, the NanoClaw assistant.');
    expect(system).toContain('Claude Code');
  });

  it('runs warm turns in one process, fast', async () => {
    const { world, session } = await start();
    world.fake.script({ text: 'pong' });
    const pid = session.pid;
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const startedAt = performance.now();
      const events = await collect(session.prompt({ text: `ping ${i}` }));
      times.push(performance.now() - startedAt);
      expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'pong' }]);
    }
    const warm = times.slice(1).sort((a, b) => a - b);
    const median = warm[Math.floor(warm.length / 2)]!;
    console.info(`claude turns (ms): first ${times[0]!.toFixed(0)}, warm median ${median.toFixed(0)}`);
    expect(session.pid).toBe(pid);
    expect(median).toBeLessThan(1_000);
  });

  it('describes a session without spawning', () => {
    const provider = testProvider({ logger: undefined } as never);
    const plan = provider.describeSession({
      cwd: '/g',
      env: { ANTHROPIC_API_KEY: 'k', CLAUDE_MODEL: 'claude-opus-4-5' },
      reasoningEffort: 'minimal',
    });
    expect(plan).toMatchObject({ cwd: '/g', model: 'claude-opus-4-5', effort: 'low', authMode: 'api-key' });
    expect(plan.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe('1');
  });
});
