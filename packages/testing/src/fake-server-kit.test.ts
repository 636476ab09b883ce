import { errorMessage } from '@nanoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFakeModel,
  createRequestLog,
  createStepChooser,
  DEFAULT_FALLBACK_TEXT,
  delay,
  type FakeHttpServer,
  logEntryBase,
  matches,
  openAiErrorBody,
  openSse,
  sendJson,
  split,
  startFakeHttpServer,
} from './fake-server-kit.js';

type Step = { text: string } | { tool: string; then?: Step; text?: string };
type ToolStep = Extract<Step, { tool: string }>;
interface Req {
  body: unknown;
  lastUserText: string;
}

const servers: FakeHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('startFakeHttpServer', () => {
  it('hands over the parsed request and answers JSON', async () => {
    const server = await startFakeHttpServer(
      async (request, res) => sendJson(res, 201, request),
      () => {},
    );
    servers.push(server);
    const response = await fetch(`http://127.0.0.1:${server.port}/v1/x?a=1`, {
      method: 'POST',
      headers: { 'X-Thing': 'yes' },
      body: 'raw body',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    const seen = (await response.json()) as Record<string, unknown>;
    expect(seen).toMatchObject({ method: 'POST', path: '/v1/x', query: 'a=1', raw: 'raw body' });
    expect((seen.headers as Record<string, string>)['x-thing']).toBe('yes');
  });

  it('answers with onBug when the handler throws', async () => {
    const server = await startFakeHttpServer(
      async () => {
        throw new Error('boom');
      },
      (res, error) => sendJson(res, 500, { bug: errorMessage(error) }),
    );
    servers.push(server);
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ bug: 'boom' });
  });

  it('streams SSE, and close() aborts what is in flight', async () => {
    let aborted = false;
    const server = await startFakeHttpServer(
      async (_request, res, signal) => {
        const sse = openSse(res, signal);
        sse.write({ n: 1 }, 'first');
        sse.write('[DONE]');
        signal.addEventListener('abort', () => {
          aborted = true;
        });
        await delay(60_000, signal);
        expect(sse.open).toBe(false);
      },
      () => {},
    );
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('[DONE]')) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    expect(text).toBe('event: first\ndata: {"n":1}\n\ndata: [DONE]\n\n');
    await server.close();
    expect(aborted).toBe(true);
  });
});

describe('createRequestLog', () => {
  it('resolves waiters once enough requests arrived, times out, and rejects on close', async () => {
    const log = createRequestLog<number>('fake Test server');
    const two = log.waitForRequests(2);
    log.log(1);
    log.log(2);
    expect(await two).toEqual([1, 2]);
    expect(await log.waitForRequests(1)).toBe(log.requests);
    await expect(log.waitForRequests(5, 20)).rejects.toThrow('fake Test server: 2 of 5 requests after 20 ms');
    const pending = log.waitForRequests(9);
    log.close();
    expect(log.closed).toBe(true);
    await expect(pending).rejects.toThrow('fake Test server closed');
    await expect(log.waitForRequests(9)).rejects.toThrow('fake Test server is closed');
    log.clear();
    expect(log.requests).toEqual([]);
  });
});

describe('createStepChooser', () => {
  const make = (script?: Step | Step[] | ((request: Req) => Step)) =>
    createStepChooser<Step, Req, ToolStep>({
      script,
      fallbackText: 'fallback',
      textStep: (text) => ({ text }),
      followUpCallId: (body, pending) => {
        const id = (body as { result?: string }).result;
        return id !== undefined && pending.has(id) ? id : undefined;
      },
    });
  const req = (lastUserText: string, body: unknown = {}): Req => ({ body, lastUserText });

  it('follow-up → keyed → script → fallback', async () => {
    const chooser = make([{ text: 's1' }]);
    chooser.on('hello', [{ text: 'k1' }]);
    chooser.on(/every/g, { text: 'always' });
    // biome-ignore lint/suspicious/noThenProperty: the fakes name a tool's follow-up step `then`
    chooser.pendingCalls.set('c1', { tool: 't', then: { text: 'after' } });
    chooser.pendingCalls.set('c2', { tool: 't', text: 'said' });
    chooser.pendingCalls.set('c3', { tool: 't' });

    expect(await chooser.choose(req('x', { result: 'c1' }))).toEqual({
      step: { text: 'after' },
      source: 'follow-up',
    });
    expect(await chooser.choose(req('x', { result: 'c2' }))).toEqual({
      step: { text: 'said' },
      source: 'follow-up',
    });
    expect(await chooser.choose(req('x', { result: 'c3' }))).toEqual({
      step: { text: 'fallback' },
      source: 'follow-up',
    });
    expect(chooser.pendingCalls.size).toBe(0);
    expect(await chooser.choose(req('say hello'))).toEqual({ step: { text: 'k1' }, source: 'keyed' });
    expect(await chooser.choose(req('every time'))).toEqual({ step: { text: 'always' }, source: 'keyed' });
    expect(await chooser.choose(req('every time'))).toEqual({ step: { text: 'always' }, source: 'keyed' });
    expect(await chooser.choose(req('say hello'))).toEqual({ step: { text: 's1' }, source: 'script' });
    expect(await chooser.choose(req('say hello'))).toEqual({
      step: { text: 'fallback' },
      source: 'fallback',
    });
  });

  it('a single step or a function script answers every time; reset restores the initial script', async () => {
    const initial: Step[] = [{ text: 'one' }];
    const chooser = make(initial);
    chooser.script((request) => ({ text: `re: ${request.lastUserText}` }));
    expect((await chooser.choose(req('a'))).step).toEqual({ text: 're: a' });
    chooser.script({ text: 'same' });
    expect((await chooser.choose(req('a'))).step).toEqual({ text: 'same' });
    expect((await chooser.choose(req('a'))).step).toEqual({ text: 'same' });
    chooser.on('a', { text: 'keyed' });
    chooser.reset();
    expect(await chooser.choose(req('a'))).toEqual({ step: { text: 'one' }, source: 'script' });
    expect(initial).toEqual([{ text: 'one' }]);
  });
});

describe('helpers', () => {
  it('split, matches, delay', async () => {
    expect(split('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(split('', 3)).toEqual([]);
    expect(split('ab', 0)).toEqual(['ab']);
    const re = /x/g;
    expect(matches(re, 'x')).toBe(true);
    expect(matches(re, 'x')).toBe(true);
    expect(matches('b', 'abc')).toBe(true);
    const abort = new AbortController();
    abort.abort();
    expect(await delay(10, abort.signal)).toBe(false);
    expect(await delay(0, new AbortController().signal)).toBe(true);
  });
});

describe('createFakeModel', () => {
  it('logs, chooses, numbers ids and serves the shared controls', async () => {
    const fake = createFakeModel<Step, Req & { path: string }, ToolStep>({
      label: 'fake Kit server',
      script: [{ text: 'scripted' }],
      followUpCallId: () => undefined,
      formatId: (prefix, tag, n) => `${prefix}-${tag.length}-${n}`,
    });
    expect([fake.nextId('a'), fake.nextId('b')]).toEqual(['a-6-1', 'b-6-2']);
    const { port, controls } = await fake.listen(
      async (request, res) => {
        const entry = { ...logEntryBase(request), lastUserText: request.raw };
        fake.log(entry);
        sendJson(res, 200, await fake.choose(entry));
      },
      () => {},
    );
    const post = (text: string) =>
      fetch(`http://127.0.0.1:${port}/p`, { method: 'POST', body: text }).then((r) => r.json());
    controls.on('key', { text: 'keyed' });
    expect(await post('key')).toEqual({ step: { text: 'keyed' }, source: 'keyed' });
    expect(await post('x')).toEqual({ step: { text: 'scripted' }, source: 'script' });
    expect(await post('x')).toEqual({ step: { text: DEFAULT_FALLBACK_TEXT }, source: 'fallback' });
    expect(controls.requests.map((r) => [r.path, r.body])).toEqual([
      ['/p', 'key'],
      ['/p', 'x'],
      ['/p', 'x'],
    ]);
    controls.reset();
    expect(controls.requests).toEqual([]);
    expect(await post('key')).toEqual({ step: { text: 'scripted' }, source: 'script' });
    const waiting = controls.waitForRequests(5);
    await controls.close();
    await expect(waiting).rejects.toThrow('fake Kit server closed');
    await controls.close();
  });

  it('openAiErrorBody defaults the type by status', () => {
    expect(openAiErrorBody(500, 'm')).toEqual({
      error: { message: 'm', type: 'server_error', param: null, code: null },
    });
    expect(openAiErrorBody(400, 'm').error.type).toBe('invalid_request_error');
    expect(openAiErrorBody(429, 'm', 'rate_limit').error.type).toBe('rate_limit');
  });
});

describe('an API key the fakes require', () => {
  it('each fake answers 401 without it or with another, as the real APIs do, and as usual with it', async () => {
    const { createFakeAnthropicServer } = await import('./fake-anthropic-server.js');
    const { createFakeResponsesServer } = await import('./fake-responses-server.js');
    const { createFakeChatCompletionsServer } = await import('./fake-chat-completions-server.js');
    const fakes = [
      {
        fake: await createFakeAnthropicServer({ apiKey: 'sk-good' }),
        url: '/v1/models',
        header: 'x-api-key',
      },
      {
        fake: await createFakeResponsesServer({ apiKey: 'sk-good' }),
        url: '/responses',
        header: 'authorization',
      },
      {
        fake: await createFakeChatCompletionsServer({ apiKey: 'sk-good' }),
        url: '/models',
        header: 'authorization',
      },
    ];
    try {
      for (const { fake, url, header } of fakes) {
        const value = (key: string) => (header === 'authorization' ? `Bearer ${key}` : key);
        const get = (headers: Record<string, string>) => fetch(`${fake.baseUrl}${url}`, { headers });
        const none = await get({});
        expect(none.status).toBe(401);
        expect(JSON.stringify(await none.json())).toContain('no API key was sent');
        const wrong = await get({ [header]: value('sk-bad') });
        expect(wrong.status).toBe(401);
        expect(JSON.stringify(await wrong.json())).toContain('invalid API key');
        const good = await get({ [header]: value('sk-good') });
        const expected = url === '/responses' ? 404 : 200; // the Responses fake has no GET route
        expect(good.status).toBe(expected);
        expect(fake.requests.map((request) => request.answer?.status)).toEqual([401, 401, expected]);
      }
    } finally {
      for (const { fake } of fakes) await fake.close();
    }
  });
});
