import fs from 'node:fs';
import path from 'node:path';
import { agentEventSchema } from '@nanoclaw/core';
import { collect, ofType, types } from '@nanoclaw/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CodexAgentSession } from './session.js';
import {
  type CodexTestWorld,
  cleanupTempDirs,
  createWorld,
  echoServer,
  execStep,
  inputOf,
  mcpStep,
  testProvider,
} from './test-utils.js';

let world: CodexTestWorld;
const sessions: CodexAgentSession[] = [];

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.close()));
  await world.fake.close();
  cleanupTempDirs();
});

async function start(options: Partial<Parameters<ReturnType<typeof testProvider>['startSession']>[0]> = {}) {
  const session = await testProvider(world).startSession({ cwd: world.cwd, env: world.env, ...options });
  sessions.push(session);
  return session;
}

describe('codex provider: turns against the real app-server', () => {
  it('streams a text turn: turn-start, deltas, usage, turn-end with the final text', async () => {
    world.fake.script({
      text: 'Hello from the fake model.',
      deltas: 3,
      usage: { inputTokens: 120, outputTokens: 7 },
    });
    const session = await start();
    expect(session.continuation).toMatch(/^[0-9a-f-]{36}$/);
    const events = await collect(session.prompt({ text: 'Say hello' }));
    for (const event of events) expect(agentEventSchema.safeParse(event).success).toBe(true);
    expect(types(events)).toEqual([
      'turn-start',
      'text-delta',
      'text-delta',
      'text-delta',
      'usage',
      'turn-end',
    ]);
    const [turnStart] = ofType(events, 'turn-start');
    expect(turnStart?.input).toEqual({ text: 'Say hello' });
    const deltas = ofType(events, 'text-delta').map((event) => event.delta);
    expect(deltas.join('')).toBe('Hello from the fake model.');
    expect(ofType(events, 'usage')[0]).toMatchObject({
      inputTokens: 120,
      outputTokens: 7,
      cachedInputTokens: 0,
      totalInputTokens: 120,
    });
    expect(ofType(events, 'turn-end')[0]).toEqual({
      type: 'turn-end',
      turnId: turnStart?.turnId,
      status: 'completed',
      text: 'Hello from the fake model.',
    });
    expect(session.busy).toBe(false);
    // The fake saw Codex's request: our prompt, the custom provider, the thread as session id.
    const [request] = world.fake.requests;
    expect(request?.lastUserText).toBe('Say hello');
    expect(request?.headers['session-id']).toBe(session.continuation);
    expect(request?.headers.originator).toBe('nanoclaw');
    expect(request?.headers.authorization).toBeUndefined();
  });

  it('mode B behind the egress proxy: the built-in OpenAI provider reaches CODEX_OPENAI_BASE_URL with the sandbox key', async () => {
    world.fake.script({ text: 'Hello through openai_base_url.' });
    const { OPENAI_BASE_URL: _endpoint, ...rest } = world.env;
    const env = {
      ...rest,
      OPENAI_API_KEY: 'placeholder-key',
      CODEX_OPENAI_BASE_URL: world.fake.baseUrl,
      NO_PROXY: '127.0.0.1,localhost,::1',
    };
    const plan = await testProvider(world).describeSession({ cwd: world.cwd, env });
    expect(plan.authMode).toBe('api-key');
    // The egress proxy's variables reach Codex (and the commands it runs).
    expect(plan.childEnv.NO_PROXY).toBe('127.0.0.1,localhost,::1');
    expect(plan.config).toMatchObject({ openai_base_url: world.fake.baseUrl });
    expect(plan.config.model_providers).toBeUndefined();
    const session = await start({ env });
    const events = await collect(session.prompt({ text: 'Say hello' }));
    expect(ofType(events, 'turn-end')[0]).toMatchObject({
      status: 'completed',
      text: 'Hello through openai_base_url.',
    });
    expect(world.fake.requests[0]?.headers.authorization).toBe('Bearer placeholder-key');
  });

  it('runs a real shell command through exec_command: the file exists afterwards', async () => {
    world.fake.script(execStep('echo hi > out.txt && echo done', { text: 'Wrote out.txt.' }));
    const session = await start();
    const events = await collect(session.prompt({ text: 'write a file' }));
    const [call] = ofType(events, 'tool-call');
    expect(call).toMatchObject({ kind: 'command', name: 'shell' });
    expect((call?.input as { command?: string } | undefined)?.command).toContain('echo hi > out.txt');
    expect(ofType(events, 'tool-result')[0]).toMatchObject({
      callId: call?.callId,
      name: 'shell',
      output: 'done\n',
      isError: false,
    });
    expect(ofType(events, 'turn-end')[0]).toMatchObject({ status: 'completed', text: 'Wrote out.txt.' });
    expect(fs.readFileSync(path.join(world.cwd, 'out.txt'), 'utf8')).toBe('hi\n');
    // usage covers both model requests of the turn
    expect(ofType(events, 'usage')[0]).toMatchObject({ inputTokens: 200, totalInputTokens: 200 });
  });

  it('calls a stdio MCP server from SessionOptions.mcpServers', async () => {
    world.fake.script(
      mcpStep(
        { server: 'echo', tool: 'echo', arguments: { text: 'hello mcp' } },
        { text: 'The MCP server answered.' },
      ),
    );
    const session = await start({ mcpServers: { echo: echoServer() } });
    const events = await collect(session.prompt({ text: 'use the echo tool' }));
    const [call] = ofType(events, 'tool-call');
    expect(call).toMatchObject({ kind: 'mcp', name: 'echo.echo', input: { text: 'hello mcp' } });
    expect(ofType(events, 'tool-result')[0]).toMatchObject({
      name: 'echo.echo',
      output: 'echo:hello mcp',
      isError: false,
    });
    expect(ofType(events, 'turn-end')[0]).toMatchObject({
      status: 'completed',
      text: 'The MCP server answered.',
    });
    // The tool was advertised as a namespace, and its output went back to the model.
    const first = world.fake.requests[0]?.body as { tools: { type: string; name: string }[] };
    expect(first.tools).toContainEqual(expect.objectContaining({ type: 'namespace', name: 'mcp__echo' }));
    const followUp = JSON.stringify(inputOf(world.fake.requests[1]?.body));
    expect(followUp).toContain('echo:hello mcp');
  });

  it("ends an MCP call at the server's toolTimeoutMs (Codex tool_timeout_sec) with an error result", async () => {
    world.fake.script(
      mcpStep({ server: 'echo', tool: 'slow', arguments: { ms: 5_000 } }, { text: 'It timed out.' }),
    );
    const session = await start({ mcpServers: { echo: { ...echoServer(), toolTimeoutMs: 1_000 } } });
    const events = await collect(session.prompt({ text: 'use the slow tool' }));
    // Without the timeout the 5 s call would end with "slept" (Codex's default is 60 s).
    const [result] = ofType(events, 'tool-result');
    expect(result).toMatchObject({ name: 'echo.slow', isError: true });
    expect(JSON.stringify(result?.output)).toMatch(/timed out/i);
    expect(ofType(events, 'turn-end')[0]).toMatchObject({ status: 'completed' });
  });

  it('resumes a thread in a new app-server process: the model sees the earlier history', async () => {
    world.fake.script([{ text: 'Noted.' }, { text: 'It was PELICAN.' }]);
    const first = await start();
    await collect(first.prompt({ text: 'Remember the code word PELICAN.' }));
    const threadId = first.continuation!;
    const firstPid = first.pid;
    await first.close();

    const second = await start({ continuation: threadId });
    expect(second.continuation).toBe(threadId);
    expect(second.pid).not.toBe(firstPid);
    const events = await collect(second.prompt({ text: 'What was the code word?' }));
    expect(ofType(events, 'turn-end')[0]).toMatchObject({ status: 'completed', text: 'It was PELICAN.' });
    const history = JSON.stringify(inputOf(world.fake.requests[1]?.body));
    expect(history).toContain('Remember the code word PELICAN.');
    expect(history).toContain('Noted.');
    // Cumulative usage continues across the restart.
    expect(ofType(events, 'usage')[0]).toMatchObject({ inputTokens: 100, totalInputTokens: 200 });
  });

  it('a bogus or unknown thread id fails startSession in a way isSessionInvalid recognises', async () => {
    const provider = testProvider(world);
    for (const continuation of ['bogus-thread-id', '56e36f35-3184-4607-88b4-4cf04251c0e0']) {
      const error = await provider.startSession({ cwd: world.cwd, env: world.env, continuation }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(Error);
      expect(provider.isSessionInvalid(error)).toBe(true);
    }
    expect(
      String(
        await provider
          .startSession({ cwd: world.cwd, env: world.env, continuation: 'bogus-thread-id' })
          .catch((e: Error) => e.message),
      ),
    ).toMatch(/invalid session id/);
    expect(provider.isSessionInvalid(new Error('something else broke'))).toBe(false);
  });

  it('a 500 from the model: error event with Codex’s message, turn-end failed, and the next prompt works', async () => {
    world.fake.script([{ error: { status: 500, message: 'the model fell over' } }, { text: 'Back again.' }]);
    const session = await start();
    const failed = await collect(session.prompt({ text: 'first' }));
    expect(types(failed).slice(-2)).toEqual(['error', 'turn-end']);
    const [error] = ofType(failed, 'error');
    expect(error?.code).toBe('model-error');
    expect(error?.message.length).toBeGreaterThan(0);
    expect(error?.turnId).toBe(ofType(failed, 'turn-start')[0]?.turnId);
    expect(ofType(failed, 'turn-end')[0]).toMatchObject({ status: 'failed', text: '' });

    const next = await collect(session.prompt({ text: 'second' }));
    expect(ofType(next, 'turn-end')[0]).toMatchObject({ status: 'completed', text: 'Back again.' });
  });
});
