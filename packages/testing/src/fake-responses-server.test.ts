import { describe, expect, it } from 'vitest';
import { CODEX_COMPACTION_PROMPT_PREFIX, createFakeResponsesServer } from './fake-responses-server.js';
import type { FakeResponsesServer } from './fake-responses-types.js';
import { closedAfterEach, type ParsedSse, parseSse } from './test-utils.js';

type SseEvent = ParsedSse<Record<string, unknown> & { type: string }>;

const start = closedAfterEach(createFakeResponsesServer);

const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const developer = (text: string) => ({
  type: 'message',
  role: 'developer',
  content: [{ type: 'input_text', text }],
});
const body = (input: unknown[]) => ({
  model: 'fake-model',
  stream: true,
  input,
  tools: [{ type: 'function', name: 'exec_command', parameters: {} }],
  tool_choice: 'auto',
  parallel_tool_calls: true,
  store: false,
});

function post(server: FakeResponsesServer, payload: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.baseUrl}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify(payload),
  });
}

async function turn(server: FakeResponsesServer, input: unknown[], headers?: Record<string, string>) {
  const res = await post(server, body(input), headers);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  return parseSse(await res.text());
}

const doneItem = (events: SseEvent[]) =>
  events.find((e) => e.event === 'response.output_item.done')!.data.item as Record<string, unknown>;
const finalText = (events: SseEvent[]) =>
  ((doneItem(events).content as { text: string }[] | undefined) ?? [])[0]?.text;

describe('createFakeResponsesServer', () => {
  it('listens on 127.0.0.1 and streams text in deltas with the scripted usage', async () => {
    const server = await start({
      script: {
        text: 'Hello from the fake model.',
        deltas: 3,
        usage: { inputTokens: 15000, outputTokens: 200, cachedInputTokens: 11000 },
      },
    });
    expect(server.baseUrl).toBe(`http://127.0.0.1:${server.port}/v1`);

    const events = await turn(server, [user('Say hello')]);
    expect(events.map((e) => e.event)).toEqual([
      'response.created',
      'response.output_item.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_item.done',
      'response.completed',
    ]);
    const added = events[1]!.data.item as Record<string, unknown>;
    expect(added).toMatchObject({ type: 'message', role: 'assistant', content: [] });
    const deltas = events.filter((e) => e.event === 'response.output_text.delta');
    expect(deltas.every((d) => d.data.item_id === added.id)).toBe(true);
    expect(deltas.map((d) => d.data.delta).join('')).toBe('Hello from the fake model.');
    expect(doneItem(events)).toMatchObject({
      type: 'message',
      role: 'assistant',
      id: added.id,
      status: 'completed',
      content: [{ type: 'output_text', text: 'Hello from the fake model.', annotations: [] }],
    });
    const response = events.at(-1)!.data.response as Record<string, unknown>;
    expect(response).toMatchObject({ status: 'completed', model: 'fake-model' });
    expect(response.id).toBe((events[0]!.data.response as { id: string }).id);
    expect(response.usage).toEqual({
      input_tokens: 15000,
      input_tokens_details: { cached_tokens: 11000 },
      output_tokens: 200,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 15200,
    });

    // A single step answers every request.
    expect(finalText(await turn(server, [user('Say hello')]))).toBe('Hello from the fake model.');
    // Default usage is small; an empty text has no deltas.
    server.script({ text: '' });
    const again = await turn(server, [user('Say nothing')]);
    expect(again.map((e) => e.event)).not.toContain('response.output_text.delta');
    expect(finalText(again)).toBe('');
    expect((again.at(-1)!.data.response as { usage: unknown }).usage).toEqual({
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 10,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 110,
    });
  });

  it('answers exec with an exec_command call and the follow-up carrying its output with `then`', async () => {
    const server = await start({
      script: [{ exec: 'echo hi > out.txt', text: 'done' }, { text: 'next turn' }],
    });

    const prompt = user('Make a file');
    const first = await turn(server, [prompt]);
    expect(first.map((e) => e.event)).toEqual([
      'response.created',
      'response.output_item.done',
      'response.completed',
    ]);
    const call = doneItem(first);
    expect(call).toMatchObject({ type: 'function_call', name: 'exec_command' });
    expect(JSON.parse(call.arguments as string)).toEqual({ cmd: 'echo hi > out.txt' });
    expect(call).not.toHaveProperty('namespace');
    const callId = call.call_id as string;
    expect(callId).toMatch(/^call_/);

    const output = { type: 'function_call_output', call_id: callId, output: 'Process exited with code 0' };
    const second = await turn(server, [prompt, call, output]);
    expect(finalText(second)).toBe('done');
    expect(server.requests[1]!.answer).toMatchObject({ source: 'follow-up', text: 'done' });

    // The follow-up did not consume a script step: the next turn gets the next one.
    const third = await turn(server, [prompt, call, output, user('And now?')]);
    expect(finalText(third)).toBe('next turn');
  });

  it('reads back the tool output Codex sent for each of its calls, with the exit code and the output', async () => {
    const server = await start();
    server.on('run it', { exec: 'python3 -c "print(6*7)"', text: 'ran' });
    const prompt = user('run it');
    const call = doneItem(await turn(server, [prompt]));
    expect(server.toolResults()).toEqual([]);
    const output = {
      type: 'function_call_output',
      call_id: call.call_id,
      output:
        'Chunk ID: 1a2b\nWall time: 0.0100 seconds\nProcess exited with code 0\nOriginal token count: 1\nOutput:\n42\n',
    };
    await turn(server, [prompt, call, output]);
    // The same output again in a later request's history is not a second result; foreign call ids are ignored.
    const foreign = { type: 'function_call_output', call_id: 'call_elsewhere', output: 'x' };
    await turn(server, [prompt, call, output, foreign, user('again')]);
    expect(server.toolResults()).toEqual([
      {
        callId: call.call_id,
        name: 'exec_command',
        input: { cmd: 'python3 -c "print(6*7)"' },
        output: output.output,
        exitCode: 0,
        commandOutput: '42\n',
        requestIndex: 1,
      },
    ]);
  });

  it('passes yieldTimeMs as exec_command yield_time_ms (how long Codex waits for the command)', async () => {
    const server = await start({ script: { exec: 'sleep 12', yieldTimeMs: 30_000 } });
    const slow = doneItem(await turn(server, [user('slow one')]));
    expect(JSON.parse(slow.arguments as string)).toEqual({ cmd: 'sleep 12', yield_time_ms: 30_000 });
  });

  it('answers applyPatch with the apply_patch heredoc exec_command that Codex intercepts', async () => {
    const patch = '*** Begin Patch\n*** Update File: a.txt\n@@\n-world\n+patched\n*** End Patch';
    const server = await start({ script: { applyPatch: patch, text: 'patched' } });
    const prompt = user('edit a.txt');
    const call = doneItem(await turn(server, [prompt]));
    expect(call).toMatchObject({ type: 'function_call', name: 'exec_command' });
    expect(JSON.parse(call.arguments as string)).toEqual({ cmd: `apply_patch <<'EOF'\n${patch}\nEOF` });
    // What Codex 0.169 answers to an intercepted apply_patch.
    const text =
      'Wall time: 0.0000 seconds\nOutput:\nExit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nM a.txt\n';
    const output = { type: 'function_call_output', call_id: call.call_id, output: text };
    expect(finalText(await turn(server, [prompt, call, output]))).toBe('patched');
    expect(server.toolResults()).toMatchObject([
      { exitCode: 0, commandOutput: 'Success. Updated the following files:\nM a.txt\n' },
    ]);
    // A patch line `EOF` would end the heredoc early: the step is refused, not sent broken.
    server.script({ applyPatch: '*** Begin Patch\n*** Add File: b.txt\n+EOF\nEOF\n*** End Patch' });
    const res = await post(server, body([user('bad patch')]));
    expect(res.status).toBe(500);
    expect(server.requests.at(-1)?.answer?.error).toMatch(/a patch line reads EOF/);
  });

  it('keeps tool-call state per call, so concurrent conversations and chained calls do not mix', async () => {
    const server = await start();
    // biome-ignore lint/suspicious/noThenProperty: `then` is the fake's follow-up step, not a thenable
    server.on('thread A', { exec: 'echo a', then: { exec: 'echo a2', then: { text: 'A finished' } } });
    server.on('thread B', { exec: 'echo b', text: 'B finished' });

    const a = user('thread A');
    const b = user('thread B');
    const a1 = doneItem(await turn(server, [a]));
    const b1 = doneItem(await turn(server, [b]));
    expect(a1.call_id).not.toBe(b1.call_id);
    const out = (item: Record<string, unknown>) => ({
      type: 'function_call_output',
      call_id: item.call_id,
      output: 'ok',
    });

    expect(finalText(await turn(server, [b, b1, out(b1)]))).toBe('B finished');
    const a2 = doneItem(await turn(server, [a, a1, out(a1)]));
    expect(JSON.parse(a2.arguments as string)).toEqual({ cmd: 'echo a2' });
    expect(finalText(await turn(server, [a, a1, out(a1), a2, out(a2)]))).toBe('A finished');
    // A follow-up is answered once; the same call output again is an ordinary (keyed) request.
    expect(doneItem(await turn(server, [b, b1, out(b1)])).type).toBe('function_call');
  });

  it('answers mcp with a function_call in the namespace form', async () => {
    const server = await start({
      script: {
        mcp: { server: 'echo', tool: 'echo', arguments: { text: 'hello mcp' } },
        // biome-ignore lint/suspicious/noThenProperty: `then` is the fake's follow-up step, not a thenable
        then: { text: 'ECHOED' },
      },
    });
    const prompt = user('Use the echo tool');
    const call = doneItem(await turn(server, [prompt]));
    expect(call).toMatchObject({ type: 'function_call', name: 'echo', namespace: 'mcp__echo' });
    expect(JSON.parse(call.arguments as string)).toEqual({ text: 'hello mcp' });
    expect(server.requests[0]!.answer?.call).toMatchObject({ name: 'echo', namespace: 'mcp__echo' });

    const output = {
      type: 'function_call_output',
      call_id: call.call_id,
      output: [{ type: 'input_text', text: 'ECHO: HELLO MCP' }],
    };
    expect(finalText(await turn(server, [prompt, call, output]))).toBe('ECHOED');
  });

  it('checks keyed replies first, in registration order, consuming lists one per match', async () => {
    const server = await start({ script: [{ text: 's1' }, { text: 's2' }], fallbackText: 'fallback' });
    server.on('weather', { text: 'sunny' });
    server.on(/^count/, [{ text: 'one' }, { text: 'two' }]);
    server.on('count', { text: 'never: the regex above matches first' });

    const ask = async (text: string) => finalText(await turn(server, [user('earlier'), user(text)]));
    expect(await ask('what is the weather?')).toBe('sunny');
    expect(await ask('hi')).toBe('s1');
    expect(await ask('count')).toBe('one');
    expect(await ask('count')).toBe('two');
    expect(await ask('weather again')).toBe('sunny');
    expect(await ask('counting')).toBe('never: the regex above matches first');
    expect(await ask('hi')).toBe('s2');
    expect(await ask('hi')).toBe('fallback');
    expect(server.requests.map((r) => r.answer?.source)).toEqual([
      'keyed',
      'script',
      'keyed',
      'keyed',
      'keyed',
      'keyed',
      'script',
      'fallback',
    ]);
  });

  it('supports a script function, script() replacement and reset()', async () => {
    const server = await start({ script: [{ text: 'from options' }] });
    server.script(async (request) => ({ text: `echo: ${request.lastUserText}` }));
    expect(finalText(await turn(server, [user('ping')]))).toBe('echo: ping');

    server.script(() => {
      throw new Error('script bug');
    });
    const res = await post(server, body([user('x')]));
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining('script bug') } });

    server.on('ping', { text: 'keyed' });
    server.reset();
    expect(server.requests).toHaveLength(0);
    expect(finalText(await turn(server, [user('ping')]))).toBe('from options');
    expect(finalText(await turn(server, [user('ping')]))).toContain('fake model');
  });

  it('answers Codex compaction requests automatically, recognised by either marker', async () => {
    const server = await start({
      script: [{ text: 'scripted' }],
      compactionSummary: 'SUMMARY',
      compactionUsage: { inputTokens: 9000, outputTokens: 50 },
    });
    server.on('CONTEXT', { text: 'keyed replies do not see compaction requests' });

    const byPrompt = await turn(server, [
      user('earlier work'),
      user(
        `${CODEX_COMPACTION_PROMPT_PREFIX}. Create a handoff summary for another LLM that will resume the task.`,
      ),
    ]);
    expect(finalText(byPrompt)).toBe('SUMMARY');
    expect(byPrompt.filter((e) => e.event === 'response.output_text.delta').length).toBeGreaterThan(0);
    expect((byPrompt.at(-1)!.data.response as { usage: unknown }).usage).toMatchObject({
      input_tokens: 9000,
      output_tokens: 50,
      total_tokens: 9050,
    });

    const byHeader = await turn(server, [user('anything')], {
      'x-codex-turn-metadata': JSON.stringify({
        thread_id: 't',
        turn_id: 'u',
        request_kind: 'compaction',
        compaction: { trigger: 'manual', reason: 'user_requested', implementation: 'responses' },
      }),
    });
    expect(finalText(byHeader)).toBe('SUMMARY');

    const normal = await turn(server, [user('anything')], {
      'x-codex-turn-metadata': JSON.stringify({ request_kind: 'turn' }),
    });
    expect(finalText(normal)).toBe('scripted');
    expect(server.requests.map((r) => r.kind)).toEqual(['compaction', 'compaction', 'turn']);
    expect(server.requests[0]!.answer).toMatchObject({ source: 'compaction', text: 'SUMMARY' });
  });

  it('answers an error step with its HTTP status and a JSON error body, then carries on', async () => {
    const server = await start({
      script: [
        { error: { status: 500, message: 'We are currently experiencing high demand.' } },
        { error: { status: 429, message: 'slow down', type: 'rate_limit_exceeded' } },
        { text: 'recovered' },
      ],
    });
    const res = await post(server, body([user('hi')]));
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({
      error: { message: 'We are currently experiencing high demand.', type: 'server_error' },
    });
    const limited = await post(server, body([user('hi')]));
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({
      error: { message: 'slow down', type: 'rate_limit_exceeded' },
    });
    expect(finalText(await turn(server, [user('hi')]))).toBe('recovered');
    expect(server.requests[0]!.answer).toMatchObject({ source: 'script', status: 500 });
  });

  it('answers any other path or method with a JSON 404 (logged as kind other)', async () => {
    const server = await start({ script: [{ text: 'unused' }] });
    const models = await fetch(`${server.baseUrl}/models`);
    expect(models.status).toBe(404);
    expect(await models.json()).toMatchObject({ error: { type: 'not_found' } });
    const compact = await post(server, body([user('x')]));
    expect(compact.status).toBe(200);
    await compact.text();
    const wrongPath = await fetch(`${server.baseUrl}/responses/compact`, { method: 'POST', body: '{}' });
    expect(wrongPath.status).toBe(404);
    expect(await wrongPath.json()).toMatchObject({
      error: { message: expect.stringContaining('/v1/responses/compact') },
    });
    const get = await fetch(`${server.baseUrl}/responses`);
    expect(get.status).toBe(404);
    await get.text();
    expect(server.requests.map((r) => `${r.kind} ${r.method} ${r.path}`)).toEqual([
      'other GET /v1/models',
      'turn POST /v1/responses',
      'other POST /v1/responses/compact',
      'other GET /v1/responses',
    ]);
  });

  it('logs every request: lower-cased headers, parsed body, kind and the last user text', async () => {
    const server = await start();
    const waiting = server.waitForRequests(2);
    const input = [
      developer('base instructions'),
      user('<environment_context>cwd</environment_context>'),
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'first part' },
          { type: 'input_image', image_url: 'data:,' },
          { type: 'text', text: 'second part' },
        ],
      },
      developer('after the prompt'),
    ];
    const before = Date.now();
    await turn(server, input, { 'Session-Id': 'thread-1', 'X-Client-Request-Id': 'req-1' });
    await turn(server, [{ role: 'user', content: 'plain string content' }]);
    const log = await waiting;
    expect(log).toBe(server.requests);

    const first = log[0]!;
    expect(first).toMatchObject({
      method: 'POST',
      path: '/v1/responses',
      kind: 'turn',
      lastUserText: 'first part\nsecond part',
      body: body(input),
    });
    expect(first.at).toBeGreaterThanOrEqual(before);
    expect(first.headers).toMatchObject({
      'session-id': 'thread-1',
      'x-client-request-id': 'req-1',
      accept: 'text/event-stream',
      'content-type': 'application/json',
    });
    expect(Object.keys(first.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(log[1]!.lastUserText).toBe('plain string content');

    const bad = await fetch(`${server.baseUrl}/responses`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
    expect(server.requests[2]).toMatchObject({ kind: 'other', body: 'not json' });
    await expect(server.waitForRequests(10, 50)).rejects.toThrow('3 of 10');
  });

  it('delays a response, and drops it cleanly when the client disconnects meanwhile', async () => {
    const server = await start({
      script: [
        { text: 'late', delayMs: 60_000 },
        { text: 'slow', delayMs: 150 },
      ],
    });
    const abort = new AbortController();
    const dropped = fetch(`${server.baseUrl}/responses`, {
      method: 'POST',
      body: JSON.stringify(body([user('x')])),
      signal: abort.signal,
    });
    await server.waitForRequests(1);
    abort.abort();
    await expect(dropped).rejects.toThrow();
    expect(server.requests[0]!.answer).toMatchObject({ source: 'script', text: 'late' });

    const started = Date.now();
    expect(finalText(await turn(server, [user('y')]))).toBe('slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('close() ends open streams and pending requests promptly', async () => {
    const server = await start({
      script: [
        { text: 'abcdef', deltas: 3, deltaDelayMs: 60_000 },
        { text: 'never', delayMs: 60_000 },
      ],
    });
    const res = await post(server, body([user('stream')]));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('response.output_text.delta')) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      seen += new TextDecoder().decode(value);
    }
    expect(seen).not.toContain('response.completed');
    const pending = post(server, body([user('pending')]));
    await server.waitForRequests(2);
    const waiter = server.waitForRequests(99);

    // Attach the expectations first: these reject while close() runs.
    const outcomes = Promise.all([
      expect(reader.read()).rejects.toThrow(),
      expect(pending).rejects.toThrow(),
      expect(waiter).rejects.toThrow('closed'),
    ]);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await outcomes;
    await server.close(); // idempotent
    await expect(fetch(`${server.baseUrl}/responses`, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});
