import { describe, expect, it } from 'vitest';
import { CLAUDE_COMPACTION_PROMPT_MARKER, createFakeAnthropicServer } from './fake-anthropic-server.js';
import type { FakeAnthropicServer } from './fake-anthropic-types.js';
import { closedAfterEach, type ParsedSse, parseSse as parseSseBody } from './test-utils.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed SSE payloads, checked by the assertions
type SseEvent = ParsedSse<Record<string, any> & { type: string }>;

const start = closedAfterEach(createFakeAnthropicServer);

const TOOLS = [{ name: 'Bash', input_schema: { type: 'object' } }];
const reminder = (text: string) => ({ type: 'text', text: `<system-reminder>\n${text}\n</system-reminder>` });
const user = (...texts: string[]) => ({
  role: 'user',
  content: [reminder('env'), ...texts.map((text) => ({ type: 'text', text }))],
});
const body = (messages: unknown[], extra: Record<string, unknown> = {}) => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 32000,
  stream: true,
  system: [{ type: 'text', text: 'You are Claude Code.' }],
  tools: TOOLS,
  messages,
  ...extra,
});

function post(server: FakeAnthropicServer, payload: unknown, path = '/v1/messages?beta=true') {
  return fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-fake' },
    body: JSON.stringify(payload),
  });
}

const parseSse = (text: string): SseEvent[] => parseSseBody<SseEvent['data']>(text);

async function turn(server: FakeAnthropicServer, messages: unknown[]): Promise<SseEvent[]> {
  const res = await post(server, body(messages));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  return parseSse(await res.text());
}

const textOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'text_delta')
    .map((e) => e.data.delta.text)
    .join('');
const toolUse = (events: SseEvent[]) => {
  const start = events.find(
    (e) => e.event === 'content_block_start' && e.data.content_block.type === 'tool_use',
  )!;
  const json = events.find(
    (e) => e.event === 'content_block_delta' && e.data.delta.type === 'input_json_delta',
  )!;
  return { ...start.data.content_block, input: JSON.parse(json.data.delta.partial_json) };
};
const stopReason = (events: SseEvent[]) =>
  events.find((e) => e.event === 'message_delta')!.data.delta.stop_reason;

describe('createFakeAnthropicServer', () => {
  it('streams a text answer in the Messages SSE shape with deltas and the scripted usage', async () => {
    const server = await start({
      script: { text: 'Hello from the fake.', deltas: 4, usage: { inputTokens: 1234, outputTokens: 56 } },
    });
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const events = await turn(server, [user('Say hello')]);

    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]!.data.message).toMatchObject({
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
    });
    expect(events[0]!.data.message.usage.input_tokens).toBe(1234);
    expect(textOf(events)).toBe('Hello from the fake.');
    expect(stopReason(events)).toBe('end_turn');
    expect(events.at(-2)!.data.usage).toEqual({
      input_tokens: 1234,
      output_tokens: 56,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      query: 'beta=true',
      kind: 'agent',
      lastUserText: 'Say hello',
      stream: true,
      answer: { source: 'script', status: 200, text: 'Hello from the fake.' },
    });
    expect(server.requests[0]!.headers['x-api-key']).toBe('sk-ant-fake');
  });

  it('answers a Bash tool call, then its follow-up when the tool_result comes back', async () => {
    const server = await start();
    server.on('make a file', { command: 'echo hi > out.txt', preface: 'Writing.', text: 'Done.' });
    const first = await turn(server, [user('make a file')]);
    const call = toolUse(first);
    expect(call).toMatchObject({ type: 'tool_use', name: 'Bash', input: { command: 'echo hi > out.txt' } });
    expect(call.id).toMatch(/^toolu_/);
    expect(textOf(first)).toBe('Writing.');
    expect(stopReason(first)).toBe('tool_use');

    const second = await turn(server, [
      user('make a file'),
      { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: 'Bash', input: call.input }] },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: call.id, content: '(Bash completed with no output)' }],
      },
    ]);
    expect(textOf(second)).toBe('Done.');
    expect(server.requests.map((r) => r.answer?.source)).toEqual(['keyed', 'follow-up']);
    expect(server.requests[1]!.lastUserText).toBe('make a file');
    expect(server.sawText('(Bash completed with no output)')).toBe(true);
  });

  it('scripts Write and Edit with their input schemas, and reads back every tool_result', async () => {
    const server = await start();
    server.on('write it', {
      write: { file_path: '/w/a.txt', content: 'one\ntwo\n' },
      // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
      then: { edit: { file_path: '/w/a.txt', old_string: 'two', new_string: 'three' }, text: 'Edited.' },
    });
    const write = toolUse(await turn(server, [user('write it')]));
    expect(write).toMatchObject({ name: 'Write', input: { file_path: '/w/a.txt', content: 'one\ntwo\n' } });
    const result = (id: string, content: unknown, isError = false) => ({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: id, content, is_error: isError }],
    });
    const created = result(write.id, 'File created successfully at: /w/a.txt');
    const edit = toolUse(await turn(server, [user('write it'), created]));
    expect(edit).toMatchObject({
      name: 'Edit',
      input: { file_path: '/w/a.txt', old_string: 'two', new_string: 'three' },
    });
    const updated = result(edit.id, [{ type: 'text', text: 'The file /w/a.txt has been updated.' }]);
    expect(textOf(await turn(server, [user('write it'), created, updated]))).toBe('Edited.');

    server.on('fail it', { command: 'exit 3', text: 'Failed.' });
    const bash = toolUse(await turn(server, [user('fail it')]));
    await turn(server, [user('fail it'), result(bash.id, 'Exit code 3', true)]);
    expect(server.toolResults()).toEqual([
      {
        callId: write.id,
        name: 'Write',
        input: write.input,
        output: 'File created successfully at: /w/a.txt',
        isError: false,
        requestIndex: 1,
      },
      {
        callId: edit.id,
        name: 'Edit',
        input: edit.input,
        output: 'The file /w/a.txt has been updated.',
        isError: false,
        requestIndex: 2,
      },
      {
        callId: bash.id,
        name: 'Bash',
        input: { command: 'exit 3' },
        output: 'Exit code 3',
        isError: true,
        requestIndex: 4,
      },
    ]);
  });

  it('names MCP tools mcp__<server>__<tool>, supports any tool and chained follow-ups', async () => {
    const server = await start();
    server.on('chain', {
      mcp: { server: 'echo', tool: 'echo', arguments: { text: 'ping' } },
      // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
      then: { tool: { name: 'Write', input: { file_path: '/x', content: 'y' } }, text: 'Chained.' },
    });
    const first = toolUse(await turn(server, [user('chain')]));
    expect(first).toMatchObject({ name: 'mcp__echo__echo', input: { text: 'ping' } });
    const result = (id: string) => ({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }],
    });
    const second = toolUse(await turn(server, [user('chain'), result(first.id)]));
    expect(second).toMatchObject({ name: 'Write', input: { file_path: '/x', content: 'y' } });
    expect(textOf(await turn(server, [user('chain'), result(first.id), result(second.id)]))).toBe('Chained.');
  });

  it('keys replies on the newest prompt: last non-reminder text block of the last user message with text', async () => {
    const server = await start({ fallbackText: 'fallback' });
    server.on('boom', { error: { status: 500, message: 'scripted 500' } });
    server.on('hello', [{ text: 'first hello' }, { text: 'second hello' }]);
    // After a failed turn Claude Code merges the next prompt into the same user message.
    expect(textOf(await turn(server, [user('boom', 'hello')]))).toBe('first hello');
    expect(textOf(await turn(server, [user('hello')]))).toBe('second hello');
    expect(textOf(await turn(server, [user('hello')]))).toBe('fallback');
    expect(server.requests.map((r) => r.lastUserText)).toEqual(['hello', 'hello', 'hello']);
    expect(server.requests.at(-1)!.answer?.source).toBe('fallback');
  });

  it('keys a prompt sent with an image on its text, not on the [Image: source: …] line Claude Code adds', async () => {
    const server = await start({ fallbackText: 'fallback' });
    server.on('look at this', { text: 'a pixel' });
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } };
    const content = [
      reminder('env'),
      { type: 'text', text: 'look at this' },
      image,
      { type: 'text', text: '[Image: source: /tmp/claude-0/images/1.png]' },
    ];
    expect(textOf(await turn(server, [{ role: 'user', content }]))).toBe('a pixel');
    expect(server.requests[0]?.lastUserText).toBe('look at this');
  });

  it('sends scripted HTTP errors in the Anthropic error shape', async () => {
    const server = await start({
      script: [
        { error: { status: 500, message: 'scripted 500' } },
        { error: { status: 529, message: 'busy', type: 'overloaded_error' } },
        { error: { status: 401, message: 'bad key' } },
      ],
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(server, body([user(`try ${i}`)]));
      statuses.push([res.status, await res.json()]);
    }
    expect(statuses).toEqual([
      [500, { type: 'error', error: { type: 'api_error', message: 'scripted 500' } }],
      [529, { type: 'error', error: { type: 'overloaded_error', message: 'busy' } }],
      [401, { type: 'error', error: { type: 'invalid_request_error', message: 'bad key' } }],
    ]);
    expect(server.requests.map((r) => r.answer?.status)).toEqual([500, 529, 401]);
  });

  it('answers JSON when stream is false', async () => {
    const server = await start({ script: { text: 'plain', usage: { inputTokens: 7 } } });
    const res = await post(server, body([user('x')], { stream: false }));
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'plain' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 7, output_tokens: 10 },
    });
  });

  it('answers side requests: count_tokens, tool-less requests, the compaction request and other paths', async () => {
    const server = await start({
      compactionSummary: 'SUMMARY',
      sideText: 'A title',
      script: { text: 'agent' },
    });
    const count = await post(server, body([user('count me')]), '/v1/messages/count_tokens');
    expect(await count.json()).toEqual({ input_tokens: expect.any(Number) });
    expect(textOf(parseSse(await (await post(server, body([user('title?')], { tools: [] }))).text()))).toBe(
      'A title',
    );
    const compaction = user(
      `CRITICAL: Respond with TEXT ONLY.\n\n${CLAUDE_COMPACTION_PROMPT_MARKER} of the conversation so far`,
    );
    expect(textOf(await turn(server, [user('earlier'), compaction]))).toBe('SUMMARY');
    const head = await fetch(`${server.baseUrl}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(server.requests.map((r) => r.kind)).toEqual(['count_tokens', 'side', 'compaction', 'other']);
    expect(server.agentRequests()).toEqual([]);
  });

  it('holds answers back with delayMs and pauses between deltas; a client that goes away cuts the stream', async () => {
    const server = await start();
    server.on('slow', { text: 'slow answer', delayMs: 300 });
    server.on('drip', { text: 'abcdef', deltas: 3, deltaDelayMs: 150 });
    const startedAt = Date.now();
    expect(textOf(await turn(server, [user('slow')]))).toBe('slow answer');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(280);

    const abort = new AbortController();
    const res = await fetch(`${server.baseUrl}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify(body([user('drip')])),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await expect(reader.read()).rejects.toThrow();
    expect(server.requests.at(-1)!.answer?.text).toBe('abcdef');
  });

  it('script functions see the logged request; waitForRequests, reset and close', async () => {
    const server = await start({ script: (request) => ({ text: `echo: ${request.lastUserText}` }) });
    const waiting = server.waitForRequests(2);
    await turn(server, [user('one')]);
    expect(textOf(await turn(server, [user('two')]))).toBe('echo: two');
    expect((await waiting).length).toBe(2);
    await expect(server.waitForRequests(3, 50)).rejects.toThrow(/2 of 3/);

    server.on('two', { text: 'keyed' });
    server.reset();
    expect(server.requests).toEqual([]);
    expect(textOf(await turn(server, [user('two')]))).toBe('echo: two');

    const toolless = await post(server, 'not an object');
    expect(toolless.status).toBe(200); // no tools[]: answered as a side request
    const broken = await fetch(`${server.baseUrl}/v1/messages`, { method: 'POST', body: '{oops' });
    expect(broken.status).toBe(400);

    await server.close();
    await server.close();
    await expect(server.waitForRequests(99)).rejects.toThrow(/closed/);
  });
});
