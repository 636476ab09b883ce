import { describe, expect, it } from 'vitest';
import { createFakeChatCompletionsServer, mcpToolName } from './fake-chat-completions-server.js';
import type { FakeChatCompletionsServer, FakeChatStep } from './fake-chat-completions-types.js';
import { closedAfterEach } from './test-utils.js';

const start = closedAfterEach(createFakeChatCompletionsServer);

const TOOLS = [
  { type: 'function', function: { name: 'bash', parameters: { type: 'object' } } },
  { type: 'function', function: { name: 'my_server_echo', parameters: { type: 'object' } } },
];

interface Chunk {
  choices: { delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: Record<string, unknown>;
}

function agentBody(prompt: string, extra: Record<string, unknown> = {}) {
  return {
    model: 'fake-model',
    messages: [
      { role: 'system', content: 'You are opencode.' },
      { role: 'user', content: prompt },
    ],
    tools: TOOLS,
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  };
}

async function post(server: FakeChatCompletionsServer, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Reads an SSE answer: the JSON chunks, and whether it ended with `data: [DONE]`. */
async function readSse(response: Response): Promise<{ chunks: Chunk[]; done: boolean }> {
  const text = await response.text();
  const data = text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
  const done = data.at(-1) === '[DONE]';
  return { chunks: data.filter((line) => line !== '[DONE]').map((line) => JSON.parse(line) as Chunk), done };
}

interface WireCall {
  id: string;
  function: { name: string; arguments: string };
}

function firstToolCall(chunks: Chunk[]): WireCall | undefined {
  const calls = chunks[0]?.choices[0]?.delta.tool_calls;
  return Array.isArray(calls) ? (calls[0] as WireCall) : undefined;
}

function contentOf(chunks: Chunk[]): string[] {
  return chunks
    .flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content))
    .filter((content): content is string => typeof content === 'string' && content !== '');
}

describe('createFakeChatCompletionsServer', () => {
  it('streams a keyed text in deltas, then a usage chunk and [DONE]', async () => {
    const server = await start();
    server.on('say hello', {
      text: 'Hello there, friend.',
      deltas: 4,
      usage: { inputTokens: 1234, outputTokens: 56 },
    });
    const response = await post(server, agentBody('please say hello'));

    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const { chunks, done } = await readSse(response);
    expect(done).toBe(true);
    expect(contentOf(chunks)).toHaveLength(4);
    expect(contentOf(chunks).join('')).toBe('Hello there, friend.');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: 1234,
      completion_tokens: 56,
      total_tokens: 1290,
    });
    expect(server.requests[0]).toMatchObject({
      kind: 'agent',
      lastUserText: 'please say hello',
      tools: ['bash', 'my_server_echo'],
      answer: { source: 'keyed', status: 200, text: 'Hello there, friend.' },
    });
  });

  it('sends no usage chunk without stream_options.include_usage, and JSON when not streaming', async () => {
    const server = await start({ fallbackText: 'fallback answer' });
    const streamed = await readSse(await post(server, agentBody('x', { stream_options: undefined })));
    expect(streamed.chunks.some((chunk) => chunk.usage !== undefined)).toBe(false);

    const json = (await (await post(server, agentBody('x', { stream: false }))).json()) as {
      choices: { message: { content: string }; finish_reason: string }[];
      usage: { prompt_tokens: number };
    };
    expect(json.choices[0]).toMatchObject({ message: { content: 'fallback answer' }, finish_reason: 'stop' });
    expect(json.usage.prompt_tokens).toBe(100);
    expect(server.requests.map((request) => request.answer?.source)).toEqual(['fallback', 'fallback']);
  });

  it('calls bash, then answers the follow-up that carries the tool result', async () => {
    const server = await start();
    server.on('make a file', { command: 'touch a.txt', text: 'Made it.' });
    const { chunks } = await readSse(await post(server, agentBody('make a file')));
    const call = firstToolCall(chunks);
    expect(call?.function.name).toBe('bash');
    expect(JSON.parse(call?.function.arguments ?? '{}')).toMatchObject({ command: 'touch a.txt' });
    expect(chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe(
      'tool_calls',
    );

    const followUp = agentBody('make a file');
    followUp.messages.push(
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: call?.id, type: 'function', function: call?.function }],
      } as never,
      { role: 'tool', tool_call_id: call?.id, content: '(no output)' } as never,
    );
    const answer = await readSse(await post(server, followUp));
    expect(contentOf(answer.chunks).join('')).toBe('Made it.');
    expect(server.requests[1]?.answer?.source).toBe('follow-up');
    expect(server.toolResults()).toEqual([
      {
        callId: call?.id,
        name: 'bash',
        input: { command: 'touch a.txt', description: 'Run a command' },
        output: '(no output)',
        requestIndex: 1,
      },
    ]);
  });

  it('names MCP tools as the request offers them, opencode style by default', async () => {
    expect(mcpToolName('my-server', 'echo')).toBe('my-server_echo');
    expect(mcpToolName('my.server', 'echo', ['bash', 'my_server_echo'])).toBe('my_server_echo');
    const server = await start();
    server.on('use mcp', { mcp: { server: 'my server', tool: 'echo', arguments: { text: 'hi' } } });
    const { chunks } = await readSse(await post(server, agentBody('use mcp')));
    const call = firstToolCall(chunks);
    expect(call?.function).toEqual({ name: 'my_server_echo', arguments: '{"text":"hi"}' });
  });

  it('answers keyed replies first, then the FIFO script, then the fallback', async () => {
    const server = await start({ script: [{ text: 'one' }, { text: 'two' }], fallbackText: 'none left' });
    server.on(/^keyed/, [{ text: 'k1' }]);
    const texts: string[] = [];
    for (const prompt of ['keyed a', 'keyed b', 'x', 'y']) {
      texts.push(contentOf((await readSse(await post(server, agentBody(prompt)))).chunks).join(''));
    }
    expect(texts).toEqual(['k1', 'one', 'two', 'none left']);
    server.reset();
    expect(server.requests).toHaveLength(0);
    expect(contentOf((await readSse(await post(server, agentBody('again')))).chunks).join('')).toBe('one');
  });

  it('accepts a script function that sees the request', async () => {
    const server = await start();
    server.script((request) => ({ text: `you said: ${request.lastUserText}` }));
    const { chunks } = await readSse(await post(server, agentBody('ping')));
    expect(contentOf(chunks).join('')).toBe('you said: ping');
  });

  it('answers an HTTP error with an OpenAI error body', async () => {
    const server = await start();
    server.on('boom', { error: { status: 500, message: 'scripted failure' } });
    const response = await post(server, agentBody('boom'));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { message: 'scripted failure', type: 'server_error', param: null, code: null },
    });
    expect(server.requests[0]?.answer).toEqual({ source: 'keyed', status: 500, error: 'scripted failure' });
  });

  it('holds answers back for delayMs and spaces deltas by deltaDelayMs', async () => {
    const server = await start();
    server.on('slow', { text: 'abc', deltas: 3, delayMs: 150, deltaDelayMs: 50 });
    const startedAt = Date.now();
    await readSse(await post(server, agentBody('slow')));
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(240);
  });

  it('answers title generation and other tool-less requests without consuming the script', async () => {
    const server = await start({ script: [{ text: 'agent answer' }], titleText: 'A title' });
    server.on('hello', { text: 'keyed answer' });
    const title = {
      model: 'fake-model',
      stream: true,
      messages: [
        { role: 'system', content: 'You are a title generator. You output ONLY a thread title.' },
        { role: 'user', content: 'Generate a title for this conversation:\nhello' },
      ],
    };
    expect(contentOf((await readSse(await post(server, title))).chunks).join('')).toBe('A title');
    const summary = {
      model: 'fake-model',
      stream: true,
      messages: [{ role: 'user', content: 'Summarize.' }],
    };
    expect(contentOf((await readSse(await post(server, summary))).chunks).join('')).toContain('Summary');
    expect(contentOf((await readSse(await post(server, agentBody('x')))).chunks).join('')).toBe(
      'agent answer',
    );
    expect(server.requests.map((request) => request.kind)).toEqual(['title', 'side', 'agent']);
    expect(server.agentRequests()).toHaveLength(1);
  });

  it('lists models, 404s unknown routes, 400s bad JSON, and logs all of them', async () => {
    const server = await start({ models: ['m1', 'm2'] });
    const models = (await (await fetch(`${server.baseUrl}/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((model) => model.id)).toEqual(['m1', 'm2']);
    expect((await fetch(`${server.baseUrl}/responses`, { method: 'POST', body: '{}' })).status).toBe(404);
    const bad = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(server.requests.map((request) => [request.kind, request.answer?.source])).toEqual([
      ['other', 'models'],
      ['other', 'invalid'],
      ['other', 'invalid'],
    ]);
  });

  it('waits for requests, and rejects waiters on close; close is idempotent', async () => {
    const server = await start();
    const waiting = server.waitForRequests(1);
    await post(server, agentBody('x')).then((response) => response.text());
    expect((await waiting).length).toBe(1);
    await expect(server.waitForRequests(5, 50)).rejects.toThrow(/1 of 5/);
    const pending = server.waitForRequests(9);
    await server.close();
    await expect(pending).rejects.toThrow(/closed/);
    await server.close();
  });

  it('cuts in-flight streams on close', async () => {
    const server = await start();
    const step: FakeChatStep = { text: 'never', delayMs: 10_000 };
    server.on('hang', step);
    const response = post(server, agentBody('hang'));
    await server.waitForRequests(1);
    await server.close();
    await expect(response.then((r) => r.text())).rejects.toThrow();
  });
});
