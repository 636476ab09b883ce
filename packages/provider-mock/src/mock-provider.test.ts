import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AgentEvent, errorMessage } from '@nanoclaw/core';
import { collect, types } from '@nanoclaw/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMockProvider, mockProvider } from './mock-provider.js';
import { echoServer, turnEnds } from './test-utils.js';

const cwd = '/workspace/group';
const input = (text: string) => ({ text });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createMockProvider: the directive script', () => {
  it('answers plain text in a few deltas', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const events = await collect(session.prompt(input('hello')));
    expect(types(events)).toEqual(['turn-start', 'text-delta', 'text-delta', 'text-delta', 'turn-end']);
    const deltas = events.flatMap((e) => (e.type === 'text-delta' ? [e.delta] : []));
    expect(deltas.join('')).toBe('Mock reply to: hello');
    expect(events.at(-1)).toEqual({
      type: 'turn-end',
      turnId: 'turn-1',
      status: 'completed',
      text: 'Mock reply to: hello',
    });
    expect(session.busy).toBe(false);
  });

  it('/fail ends the turn failed after an error event', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const events = await collect(session.prompt(input('/fail the model fell over')));
    expect(events).toContainEqual({
      type: 'error',
      turnId: 'turn-1',
      message: 'the model fell over',
      code: 'model-error',
      retryable: false,
    });
    expect(turnEnds(events)[0]?.status).toBe('failed');
  });

  it('/usage emits those numbers', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const events = await collect(session.prompt(input('/usage 120 34\nhi')));
    expect(events).toContainEqual({
      type: 'usage',
      turnId: 'turn-1',
      inputTokens: 120,
      cachedInputTokens: 0,
      outputTokens: 34,
    });
    expect(turnEnds(events)[0]?.text).toBe('Mock reply to: hi');
  });

  it('/echo-env reads the session env', async () => {
    const session = await createMockProvider().startSession({ cwd, env: { API_KEY: 'sk-test' } });
    const [set] = turnEnds(await collect(session.prompt(input('/echo-env API_KEY'))));
    const [unset] = turnEnds(await collect(session.prompt(input('/echo-env OTHER_KEY'))));
    expect(set?.text).toBe('sk-test');
    expect(unset?.text).toBe('(unset)');
  });

  it('/attachments reports each attachment the turn got, with the sha256 of its file under the cwd', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-mock-attachments-'));
    fs.mkdirSync(path.join(dir, 'inbox'));
    fs.writeFileSync(path.join(dir, 'inbox', 'photo.png'), 'PNG-BYTES');
    const session = await createMockProvider().startSession({ cwd: dir });
    const attachments = [
      { name: 'photo.png', mimeType: 'image/png', sizeBytes: 9, ref: 'inbox/photo.png' },
      { name: 'gone.pdf', mimeType: 'application/pdf', sizeBytes: 3, ref: 'inbox/gone.pdf' },
    ];
    const [end] = turnEnds(await collect(session.prompt({ text: '/attachments', attachments })));
    const sha = createHash('sha256').update('PNG-BYTES').digest('hex');
    expect(end?.text.split('\n')).toEqual([
      `attachment: photo.png (image/png, 9 bytes) at inbox/photo.png: sha256 ${sha}`,
      expect.stringMatching(
        /^attachment: gone\.pdf \(application\/pdf, 3 bytes\) at inbox\/gone\.pdf: unreadable \(ENOENT/,
      ),
    ]);
    const [none] = turnEnds(await collect(session.prompt(input('/attachments'))));
    expect(none?.text).toBe('attachments: none');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('/exec runs a program without a shell in the session cwd and env, and replies with its output', async () => {
    const dir = os.tmpdir();
    const session = await createMockProvider().startSession({ cwd: dir, env: { WHO: 'the agent' } });
    const script = 'console.log(process.env.WHO, process.cwd() === process.argv[1])';
    const events = await collect(
      session.prompt(input(`/exec ${JSON.stringify([process.execPath, '-e', script, dir])}`)),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'tool-call', kind: 'command', name: 'exec' }),
    );
    expect(turnEnds(events)[0]?.text).toBe('exec: the agent true\n');
    const [failed] = turnEnds(await collect(session.prompt(input('/exec ["/no/such/program"]'))));
    expect(failed?.text).toMatch(/^exec failed: .*ENOENT/);
  });

  it('/sleep waits before replying', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const started = Date.now();
    const [end] = turnEnds(await collect(session.prompt(input('/sleep 150'))));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(end).toMatchObject({ status: 'completed', text: 'Mock reply to: /sleep 150' });
  });

  it('/stream sends the reply in that many deltas, that long apart', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const seen: number[] = [];
    for await (const event of session.prompt(input('hi\n/stream 4 60')))
      if (event.type === 'text-delta') seen.push(Date.now());
    expect(seen).toHaveLength(4);
    expect((seen.at(-1) ?? 0) - (seen[0] ?? 0)).toBeGreaterThanOrEqual(170);
  });

  it('/crash exits the process with code 1', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const session = await createMockProvider().startSession({ cwd });
    await collect(session.prompt(input('/crash')));
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('a malformed directive fails the turn with a clear message', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const events = await collect(session.prompt(input('/sleep forever')));
    expect(events).toContainEqual(expect.objectContaining({ type: 'error', code: 'mock-directive' }));
    expect(turnEnds(events)[0]?.status).toBe('failed');
  });
});

describe('createMockProvider: scripts', () => {
  it('a string replies the same to every turn', async () => {
    const session = await createMockProvider({ reply: 'pong' }).startSession({ cwd });
    expect(turnEnds(await collect(session.prompt(input('a'))))[0]?.text).toBe('pong');
    expect(turnEnds(await collect(session.prompt(input('b'))))[0]?.text).toBe('pong');
  });

  it('a list is consumed in order, then fails the turn', async () => {
    const provider = createMockProvider({ reply: ['one', { text: 'two', deltas: 1 }] });
    const session = await provider.startSession({ cwd });
    const first = await collect(session.prompt(input('a')));
    const second = await collect(session.prompt(input('b')));
    const third = await collect(session.prompt(input('c')));
    expect(turnEnds(first)[0]?.text).toBe('one');
    expect(types(second)).toEqual(['turn-start', 'text-delta', 'turn-end']);
    expect(third).toContainEqual(expect.objectContaining({ type: 'error', code: 'mock-script-exhausted' }));
  });

  it('a function gets the input and the turn context', async () => {
    const reply = vi.fn((turnInput: { text: string }, ctx: { turn: number; turnId: string }) => ({
      text: `${ctx.turn}:${ctx.turnId}:${turnInput.text}`,
      deltas: 2,
      usage: { inputTokens: 5, outputTokens: 6, cachedInputTokens: 1, totalInputTokens: 50 },
    }));
    const session = await createMockProvider({ reply }).startSession({ cwd });
    const events = await collect(session.prompt(input('x')));
    expect(turnEnds(events)[0]?.text).toBe('1:turn-1:x');
    expect(events.filter((e) => e.type === 'text-delta')).toHaveLength(2);
    expect(events).toContainEqual({
      type: 'usage',
      turnId: 'turn-1',
      inputTokens: 5,
      cachedInputTokens: 1,
      outputTokens: 6,
      totalInputTokens: 50,
    });
  });

  it('a step error keeps the text and fails the turn', async () => {
    const provider = createMockProvider({
      reply: [{ text: 'partial', error: { message: 'rate limited', code: 'model-error', retryable: true } }],
    });
    const events = await collect((await provider.startSession({ cwd })).prompt(input('a')));
    expect(events.at(-2)).toEqual({
      type: 'error',
      turnId: 'turn-1',
      message: 'rate limited',
      code: 'model-error',
      retryable: true,
    });
    expect(events.at(-1)).toMatchObject({ type: 'turn-end', status: 'failed', text: 'partial' });
  });

  it('a throwing script fails the turn with model-error', async () => {
    const provider = createMockProvider({
      reply: () => {
        throw new Error('script broke');
      },
    });
    const events = await collect((await provider.startSession({ cwd })).prompt(input('a')));
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'error', message: 'script broke', code: 'model-error' }),
    );
    expect(turnEnds(events)[0]?.status).toBe('failed');
  });
});

describe('mock session semantics', () => {
  it('push during a run adds a turn; push when idle returns false', async () => {
    const session = await createMockProvider().startSession({ cwd });
    expect(session.push(input('too early'))).toBe(false);
    const stream = session.prompt(input('/sleep 50\nfirst'));
    expect(session.busy).toBe(true);
    expect(session.push(input('second'))).toBe(true);
    const events = await collect(stream);
    expect(turnEnds(events).map((e) => [e.turnId, e.text])).toEqual([
      ['turn-1', 'Mock reply to: first'],
      ['turn-2', 'Mock reply to: second'],
    ]);
    expect(types(events).filter((t) => t === 'turn-start')).toHaveLength(2);
    expect(session.busy).toBe(false);
  });

  it('refuses a second prompt while a run is active', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const stream = session.prompt(input('/sleep 20'));
    expect(() => session.prompt(input('again'))).toThrow(/already active/);
    await collect(stream);
  });

  it('interrupt wakes a sleeping turn at once; queued follow-ups still run', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const stream = session.prompt(input('/sleep 60000'));
    session.push(input('after'));
    const collected = collect(stream);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await session.interrupt();
    const events = await collected;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(turnEnds(events).map((e) => e.status)).toEqual(['interrupted', 'completed']);
    await session.interrupt(); // idle: a no-op
  });

  it('aborting the prompt signal interrupts the run and drops follow-ups', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const abort = new AbortController();
    const stream = session.prompt(input('/sleep 60000'), { signal: abort.signal });
    session.push(input('dropped'));
    setTimeout(() => abort.abort(), 10);
    const events = await collect(stream);
    expect(turnEnds(events).map((e) => e.status)).toEqual(['interrupted']);
  });

  it('breaking out of the stream cancels the run', async () => {
    const session = await createMockProvider().startSession({ cwd });
    for await (const event of session.prompt(input('/sleep 60000'))) {
      if (event.type === 'turn-start') break;
    }
    await vi.waitFor(() => expect(session.busy).toBe(false));
  });

  it('compact emits compaction-end on the next run', async () => {
    const session = await createMockProvider().startSession({ cwd });
    await session.compact();
    const events = await collect(session.prompt(input('hi')));
    expect(events[0]).toEqual({ type: 'compaction-end', ok: true, reason: 'requested' });
    const next = await collect(session.prompt(input('hi')));
    expect(types(next)).not.toContain('compaction-end');
  });

  it('close is idempotent, ends an active run, and refuses new prompts', async () => {
    const session = await createMockProvider().startSession({ cwd });
    const collected = collect(session.prompt(input('/sleep 60000')));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await session.close();
    await session.close();
    expect(turnEnds(await collected).map((e) => e.status)).toEqual(['interrupted']);
    expect(() => session.prompt(input('x'))).toThrow(/closed/);
  });
});

describe('continuations', () => {
  it('issues a stable mock- continuation and resumes it with the turn counter', async () => {
    const provider = createMockProvider();
    const first = await provider.startSession({ cwd });
    expect(first.continuation).toMatch(/^mock-[0-9a-f-]{36}$/);
    await collect(first.prompt(input('a')));
    await collect(first.prompt(input('b')));
    await first.close();
    const resumed = await provider.startSession({ cwd, continuation: first.continuation });
    expect(resumed.continuation).toBe(first.continuation);
    const events = await collect(resumed.prompt(input('c')));
    expect(turnEnds(events)[0]?.turnId).toBe('turn-3');
  });

  it('resumes a mock- continuation it has not seen (another process issued it)', async () => {
    const session = await createMockProvider().startSession({ cwd, continuation: 'mock-elsewhere' });
    expect(session.continuation).toBe('mock-elsewhere');
  });

  it('rejects any other continuation with an error isSessionInvalid recognises', async () => {
    const provider = createMockProvider();
    const error = await provider.startSession({ cwd, continuation: 'thread-123' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(errorMessage(error)).toMatch(/mock session not found/);
    expect(provider.isSessionInvalid(error)).toBe(true);
    expect(provider.isSessionInvalid(new Error('mock session not found: "x"'))).toBe(true);
    expect(provider.isSessionInvalid(new Error('network down'))).toBe(false);
    expect(provider.isSessionInvalid('mock session not found')).toBe(false);
  });
});

describe('calls', () => {
  it('records every call in order', async () => {
    const provider = createMockProvider({ id: 'scripted', reply: 'ok' });
    const session = await provider.startSession({ cwd, model: 'm1' });
    const stream = session.prompt(input('a'));
    session.push(input('b'));
    await collect(stream);
    session.push(input('late'));
    await session.interrupt();
    await session.compact();
    await session.close();
    const c = session.continuation!;
    expect(session.provider).toBe('scripted');
    expect(provider.calls).toEqual([
      { type: 'session-start', continuation: c, resumed: false, options: { cwd, model: 'm1' } },
      { type: 'prompt', continuation: c, input: input('a') },
      { type: 'push', continuation: c, input: input('b'), accepted: true },
      { type: 'push', continuation: c, input: input('late'), accepted: false },
      { type: 'interrupt', continuation: c },
      { type: 'compact', continuation: c },
      { type: 'close', continuation: c },
    ]);
  });

  it('the default instance is the directive script with id mock', async () => {
    expect(mockProvider.id).toBe('mock');
    expect(mockProvider.specificationVersion).toBe('v1');
  });
});

describe('MCP tool calls', () => {
  const toolEvents = (events: AgentEvent[]) => events.filter((e) => e.type.startsWith('tool-'));

  it('calls a real MCP stdio server and quotes the result', async () => {
    const session = await createMockProvider().startSession({ cwd, mcpServers: { echo: echoServer() } });
    try {
      const events = await collect(session.prompt(input('/tool echo.echo {"text":"hi"}')));
      expect(toolEvents(events)).toEqual([
        {
          type: 'tool-call',
          turnId: 'turn-1',
          callId: 'turn-1-call-1',
          kind: 'mcp',
          name: 'echo.echo',
          input: { text: 'hi' },
        },
        {
          type: 'tool-result',
          turnId: 'turn-1',
          callId: 'turn-1-call-1',
          name: 'echo.echo',
          output: 'echo:hi',
          isError: false,
        },
      ]);
      expect(turnEnds(events)[0]).toMatchObject({ status: 'completed', text: 'echo.echo: echo:hi' });
      // The server stays up across turns.
      const again = await collect(session.prompt(input('/tool echo.echo {"text":"again"}\nthanks')));
      expect(turnEnds(again)[0]?.text).toBe('echo.echo: echo:again\nMock reply to: thanks');
    } finally {
      await session.close();
    }
  });

  it('passes the configured env to the server', async () => {
    const session = await createMockProvider().startSession({
      cwd,
      mcpServers: { echo: echoServer({ TOKEN: 't-1' }) },
    });
    try {
      const events = await collect(session.prompt(input('/tool echo.env {"name":"TOKEN"}')));
      expect(turnEnds(events)[0]?.text).toBe('echo.env: t-1');
    } finally {
      await session.close();
    }
  });

  it('reports tool errors, unknown servers and http servers as isError results', async () => {
    const session = await createMockProvider().startSession({
      cwd,
      mcpServers: { echo: echoServer(), web: { type: 'http', url: 'http://127.0.0.1:1/mcp', headers: {} } },
    });
    try {
      const events = await collect(
        session.prompt(input('/tool echo.fail {}\n/tool nowhere.x {}\n/tool web.x {}\n/tool echo.missing')),
      );
      const results = events.flatMap((e) => (e.type === 'tool-result' ? [[e.isError, e.output]] : []));
      expect(results).toEqual([
        [true, 'tool failed on purpose'],
        [true, 'unknown MCP server "nowhere"'],
        [true, 'MCP server "web": the mock supports only stdio servers'],
        [true, 'MCP server "echo" has no tool "missing"'],
      ]);
      expect(turnEnds(events)[0]?.text).toContain('echo.fail failed: tool failed on purpose');
    } finally {
      await session.close();
    }
  });

  it("ends a tool call at the server's toolTimeoutMs with an isError result", async () => {
    const session = await createMockProvider().startSession({
      cwd,
      mcpServers: { echo: { ...echoServer(), toolTimeoutMs: 1_000 } },
    });
    try {
      const events = await collect(session.prompt(input('/tool echo.slow {"ms":5000}')));
      const result = events.find((e) => e.type === 'tool-result');
      expect(result).toMatchObject({ isError: true, output: expect.stringMatching(/timed out/i) });
      expect(turnEnds(events)[0]?.status).toBe('completed');
    } finally {
      await session.close();
    }
  });

  it('interrupt cuts a slow tool call short', async () => {
    const session = await createMockProvider().startSession({ cwd, mcpServers: { echo: echoServer() } });
    try {
      const collected = collect(session.prompt(input('/tool echo.slow {"ms":60000}')));
      await vi.waitFor(() => expect(session.busy).toBe(true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await session.interrupt();
      const events = await collected;
      expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ isError: true });
      expect(turnEnds(events)[0]?.status).toBe('interrupted');
    } finally {
      await session.close();
    }
  });
});
