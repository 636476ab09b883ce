/**
 * The loopback fake of the OpenAI Chat Completions API (see `fake-chat-completions-types.ts`):
 * `POST /v1/chat/completions` answered with scripted SSE chunks (`data: {choices:[{delta}]}` ... `data: [DONE]`)
 * or a JSON completion, in the shape `@ai-sdk/openai-compatible` (OpenCode) consumes. node:http only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  FakeChatAnswer,
  FakeChatCompletionsServer,
  FakeChatCompletionsServerOptions,
  FakeChatRequest,
  FakeChatScript,
  FakeChatStep,
  FakeChatUsage,
} from './fake-chat-completions-types.js';

const DEFAULT_FALLBACK_TEXT = 'OK (fake model: no scripted reply left).';
const DEFAULT_TITLE_TEXT = 'Fake conversation';
const DEFAULT_SIDE_TEXT = 'Summary of the conversation so far (fake).';
const DEFAULT_USAGE: Required<FakeChatUsage> = { inputTokens: 100, outputTokens: 10, cachedInputTokens: 0 };
/** How OpenCode's title-generation side request reads (system prompt / user text). */
const TITLE_PATTERN = /title generator|generate a title for/i;

type ToolStep =
  | Extract<FakeChatStep, { command: string }>
  | Extract<FakeChatStep, { mcp: unknown }>
  | Extract<FakeChatStep, { tool: unknown }>;
type Source = FakeChatAnswer['source'];
type ToolCall = NonNullable<FakeChatAnswer['call']>;

interface KeyedReply {
  match: string | RegExp;
  steps: FakeChatStep | FakeChatStep[];
}

interface Waiter {
  count: number;
  resolve: (log: readonly FakeChatRequest[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface StreamContext {
  res: ServerResponse;
  signal: AbortSignal;
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

/** Starts the fake on `127.0.0.1:<random port>`. */
export async function createFakeChatCompletionsServer(
  options: FakeChatCompletionsServerOptions = {},
): Promise<FakeChatCompletionsServer> {
  const fallbackText = options.fallbackText ?? DEFAULT_FALLBACK_TEXT;
  const titleText = options.titleText ?? DEFAULT_TITLE_TEXT;
  const sideText = options.sideText ?? DEFAULT_SIDE_TEXT;
  const models = options.models ?? ['fake-model'];
  const tag = randomBytes(3).toString('hex');
  const requests: FakeChatRequest[] = [];
  const keyed: KeyedReply[] = [];
  const pendingCalls = new Map<string, ToolStep>();
  const inFlight = new Set<AbortController>();
  const waiters = new Set<Waiter>();
  let script: FakeChatScript | undefined = copyScript(options.script);
  let seq = 0;
  let closed = false;
  const nextId = (prefix: string) => `${prefix}_${tag}_${++seq}`;

  function log(entry: FakeChatRequest): void {
    requests.push(entry);
    for (const waiter of waiters) {
      if (requests.length < waiter.count) continue;
      waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(requests);
    }
  }

  /** Picks the step for an agent request: pending tool follow-up → keyed → script → fallback. */
  async function chooseStep(request: FakeChatRequest): Promise<{ step: FakeChatStep; source: Source }> {
    const callId = followUpCallId(request.body, pendingCalls);
    if (callId !== undefined) {
      const tool = pendingCalls.get(callId) as ToolStep;
      pendingCalls.delete(callId);
      return { step: tool.then ?? { text: tool.text ?? fallbackText }, source: 'follow-up' };
    }
    for (const reply of keyed) {
      if (!matches(reply.match, request.lastUserText)) continue;
      if (!Array.isArray(reply.steps)) return { step: reply.steps, source: 'keyed' };
      const step = reply.steps.shift();
      if (step) return { step, source: 'keyed' };
    }
    if (typeof script === 'function') return { step: await script(request), source: 'script' };
    if (Array.isArray(script)) {
      const step = script.shift();
      if (step) return { step, source: 'script' };
    } else if (script) {
      return { step: script, source: 'script' };
    }
    return { step: { text: fallbackText }, source: 'fallback' };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    inFlight.add(abort);
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
      inFlight.delete(abort);
    });
    res.on('error', () => abort.abort());
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return; // the client went away mid-body
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const entry: FakeChatRequest = {
      at: Date.now(),
      method,
      path,
      headers: flattenHeaders(req),
      body: raw,
      kind: 'other',
      lastUserText: '',
      tools: [],
    };
    if (method === 'GET' && path === '/v1/models') {
      log(entry);
      entry.answer = { source: 'models', status: 200 };
      sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
      });
      return;
    }
    if (method !== 'POST' || path !== '/v1/chat/completions') {
      log(entry);
      sendError(res, entry, 'invalid', 404, `fake Chat Completions API: no route for ${method} ${path}`);
      return;
    }
    try {
      entry.body = raw === '' ? {} : JSON.parse(raw);
    } catch {
      log(entry);
      sendError(res, entry, 'invalid', 400, 'fake Chat Completions API: request body is not JSON');
      return;
    }
    entry.lastUserText = lastUserText(entry.body);
    entry.tools = toolNames(entry.body);
    entry.kind = classify(entry);
    log(entry);
    const context: StreamContext = {
      res,
      signal: abort.signal,
      model: stringField(entry.body, 'model') ?? models[0] ?? 'fake-model',
      stream: isRecord(entry.body) && entry.body.stream === true,
      includeUsage: includeUsage(entry.body),
    };
    if (entry.kind === 'title' || entry.kind === 'side') {
      const text = entry.kind === 'title' ? titleText : sideText;
      entry.answer = { source: entry.kind, status: 200, text };
      await sendText(context, { text });
      return;
    }
    await answerAgent(entry, context);
  }

  async function answerAgent(entry: FakeChatRequest, context: StreamContext): Promise<void> {
    let chosen: { step: FakeChatStep; source: Source };
    try {
      chosen = await chooseStep(entry);
    } catch (error) {
      sendError(
        context.res,
        entry,
        'invalid',
        500,
        `fake Chat Completions API: script threw: ${errorMessage(error)}`,
      );
      return;
    }
    const { step, source } = chosen;
    if (!step || typeof step !== 'object') {
      sendError(context.res, entry, 'invalid', 500, 'fake Chat Completions API: the script returned no step');
      return;
    }
    if ('error' in step) {
      entry.answer = { source, status: step.error.status, error: step.error.message };
      if (!(await delay(step.delayMs, context.signal))) return;
      sendError(context.res, entry, source, step.error.status, step.error.message, step.error.type);
      return;
    }
    if ('command' in step || 'mcp' in step || 'tool' in step) {
      const call = toolCall(step, nextId('call'), entry.tools);
      entry.answer = { source, status: 200, call };
      pendingCalls.set(call.callId, step);
      if (!(await delay(step.delayMs, context.signal))) return;
      await sendToolCall(context, call, step.usage);
      return;
    }
    if ('text' in step && typeof step.text === 'string') {
      entry.answer = { source, status: 200, text: step.text };
      if (!(await delay(step.delayMs, context.signal))) return;
      await sendText(context, step);
      return;
    }
    sendError(
      context.res,
      entry,
      'invalid',
      500,
      `fake Chat Completions API: not a step: ${JSON.stringify(step)}`,
    );
  }

  async function sendText(
    context: StreamContext,
    step: { text: string; deltas?: number; deltaDelayMs?: number; usage?: FakeChatUsage | undefined },
  ): Promise<void> {
    const id = nextId('chatcmpl');
    if (!context.stream) {
      sendJson(
        context.res,
        200,
        completion(id, context.model, { role: 'assistant', content: step.text }, 'stop', step.usage),
      );
      return;
    }
    const chunk = openStream(context, id);
    chunk({ role: 'assistant', content: '' }, null);
    for (const [i, piece] of split(step.text, step.deltas ?? 3).entries()) {
      if (i > 0 && !(await delay(step.deltaDelayMs, context.signal))) return;
      chunk({ content: piece }, null);
    }
    finishStream(context, id, chunk, 'stop', step.usage);
  }

  async function sendToolCall(
    context: StreamContext,
    call: ToolCall,
    usage: FakeChatUsage | undefined,
  ): Promise<void> {
    const id = nextId('chatcmpl');
    const wireCall = {
      id: call.callId,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    };
    if (!context.stream) {
      const message = { role: 'assistant', content: null, tool_calls: [wireCall] };
      sendJson(context.res, 200, completion(id, context.model, message, 'tool_calls', usage));
      return;
    }
    const chunk = openStream(context, id);
    chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, ...wireCall }] }, null);
    finishStream(context, id, chunk, 'tool_calls', usage);
  }

  function finishStream(
    context: StreamContext,
    id: string,
    chunk: (delta: Record<string, unknown>, finish: string | null) => void,
    finishReason: string,
    usage: FakeChatUsage | undefined,
  ): void {
    const { res, signal } = context;
    chunk({}, finishReason);
    if (signal.aborted || res.destroyed) return;
    if (context.includeUsage) {
      const payload = {
        id,
        object: 'chat.completion.chunk',
        created: now(),
        model: context.model,
        choices: [],
        usage: wireUsage(usage),
      };
      res.write(`data: ${JSON.stringify(payload)}\n\n`);
    }
    res.write('data: [DONE]\n\n');
    res.end();
  }

  function sendError(
    res: ServerResponse,
    entry: FakeChatRequest,
    source: Source,
    status: number,
    message: string,
    type?: string,
  ): void {
    entry.answer = { source, status, error: message };
    if (res.destroyed || res.headersSent) return;
    sendJson(res, status, {
      error: {
        message,
        type: type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
        param: null,
        code: null,
      },
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Last resort: never leave a request hanging on a bug in the fake itself.
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, {
          error: { message: `fake Chat Completions API bug: ${errorMessage(error)}`, type: 'server_error' },
        });
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    on(match, step) {
      keyed.push({ match, steps: Array.isArray(step) ? [...step] : step });
    },
    script(next) {
      script = copyScript(next);
    },
    agentRequests: () => requests.filter((request) => request.kind === 'agent'),
    reset() {
      requests.length = 0;
      keyed.length = 0;
      pendingCalls.clear();
      script = copyScript(options.script);
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests);
      if (closed) return Promise.reject(new Error('fake Chat Completions server is closed'));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          count,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(
              new Error(
                `fake Chat Completions server: ${requests.length} of ${count} requests after ${timeoutMs} ms`,
              ),
            );
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('fake Chat Completions server closed'));
      }
      waiters.clear();
      for (const abort of inFlight) abort.abort();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}

/** Returns a writer of one `data: <chunk>` event per call; a no-op once the client is gone. */
function openStream(context: StreamContext, id: string) {
  const { res, signal, model } = context;
  if (!signal.aborted && !res.headersSent) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
  }
  return (delta: Record<string, unknown>, finish: string | null) => {
    if (signal.aborted || res.destroyed) return;
    const payload = {
      id,
      object: 'chat.completion.chunk',
      created: now(),
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
    res.write(`data: ${JSON.stringify(payload)}\n\n`);
  };
}

function completion(
  id: string,
  model: string,
  message: unknown,
  finishReason: string,
  usage: FakeChatUsage | undefined,
) {
  return {
    id,
    object: 'chat.completion',
    created: now(),
    model,
    choices: [{ index: 0, message, finish_reason: finishReason }],
    usage: wireUsage(usage),
  };
}

function wireUsage(usage: FakeChatUsage | undefined) {
  const input = usage?.inputTokens ?? DEFAULT_USAGE.inputTokens;
  const output = usage?.outputTokens ?? DEFAULT_USAGE.outputTokens;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: usage?.cachedInputTokens ?? DEFAULT_USAGE.cachedInputTokens },
  };
}

/** The call for a tool step; MCP names come from the offered tools when one fits. */
function toolCall(step: ToolStep, callId: string, offered: readonly string[]): ToolCall {
  if ('command' in step) {
    return {
      callId,
      name: 'bash',
      arguments: JSON.stringify({ command: step.command, description: 'Run a command' }),
    };
  }
  if ('tool' in step) return { callId, name: step.tool.name, arguments: JSON.stringify(step.tool.arguments) };
  return {
    callId,
    name: mcpToolName(step.mcp.server, step.mcp.tool, offered),
    arguments: JSON.stringify(step.mcp.arguments),
  };
}

/** OpenCode names an MCP tool `<server>_<tool>` with anything outside `[A-Za-z0-9_-]` replaced by `_`. */
export function mcpToolName(server: string, tool: string, offered: readonly string[] = []): string {
  const sanitize = (value: string) => value.replace(/[^a-zA-Z0-9_-]/g, '_');
  const name = `${sanitize(server)}_${sanitize(tool)}`;
  if (offered.length === 0 || offered.includes(name)) return name;
  return (
    offered.find(
      (candidate) => candidate.startsWith(sanitize(server)) && candidate.endsWith(sanitize(tool)),
    ) ?? name
  );
}

function classify(entry: FakeChatRequest): FakeChatRequest['kind'] {
  if (entry.tools.length > 0) return 'agent';
  if (TITLE_PATTERN.test(systemText(entry.body)) || TITLE_PATTERN.test(entry.lastUserText.slice(0, 200)))
    return 'title';
  return 'side';
}

/** `text` in `count` pieces of near-equal length (by code point); none for empty text. */
function split(text: string, count: number): string[] {
  const chars = Array.from(text);
  if (chars.length === 0) return [];
  const n = Math.max(1, Math.min(Math.floor(count), chars.length));
  const size = Math.ceil(chars.length / n);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces;
}

/** Waits `ms` unless the client disconnects; `false` when aborted. */
async function delay(ms: number | undefined, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (!ms || ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(body: unknown, key: string): string | undefined {
  return isRecord(body) && typeof body[key] === 'string' ? body[key] : undefined;
}

function messagesOf(body: unknown): Record<string, unknown>[] {
  return isRecord(body) && Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
}

/** A message's text: a string content, or its `text` parts joined by newlines. */
function contentText(message: Record<string, unknown> | undefined): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  if (!Array.isArray(message.content)) return '';
  return message.content
    .filter(
      (part): part is { text: string } =>
        isRecord(part) && part.type === 'text' && typeof part.text === 'string',
    )
    .map((part) => part.text)
    .join('\n');
}

function lastUserText(body: unknown): string {
  return contentText(messagesOf(body).findLast((message) => message.role === 'user'));
}

function systemText(body: unknown): string {
  return messagesOf(body)
    .filter((message) => message.role === 'system')
    .map((message) => contentText(message))
    .join('\n');
}

function toolNames(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.tools)) return [];
  return body.tools.flatMap((tool) => {
    if (!isRecord(tool)) return [];
    const fn = isRecord(tool.function) ? tool.function : tool;
    return typeof fn.name === 'string' ? [fn.name] : [];
  });
}

function includeUsage(body: unknown): boolean {
  return isRecord(body) && isRecord(body.stream_options) && body.stream_options.include_usage === true;
}

/** The id of a pending tool call whose `tool` result comes after the last user message. */
function followUpCallId(body: unknown, pending: ReadonlyMap<string, unknown>): string | undefined {
  const messages = messagesOf(body);
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as Record<string, unknown>;
    if (message.role === 'user') return undefined;
    if (
      message.role === 'tool' &&
      typeof message.tool_call_id === 'string' &&
      pending.has(message.tool_call_id)
    ) {
      return message.tool_call_id;
    }
  }
  return undefined;
}

function matches(match: string | RegExp, text: string): boolean {
  if (typeof match === 'string') return text.includes(match);
  match.lastIndex = 0;
  return match.test(text);
}

function copyScript(script: FakeChatScript | undefined): FakeChatScript | undefined {
  return Array.isArray(script) ? [...script] : script;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
