/**
 * The loopback fake of the OpenAI Responses API (see `fake-responses-types.ts`): `POST /v1/responses`
 * answered with scripted SSE in the shape Codex app-server 0.169.0 consumes. node:http only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  FakeResponsesAnswer,
  FakeResponsesRequest,
  FakeResponsesScript,
  FakeResponsesServer,
  FakeResponsesServerOptions,
  FakeResponsesStep,
  FakeUsage,
} from './fake-responses-types.js';

/** How Codex's local compaction prompt (the final user message) starts. */
export const CODEX_COMPACTION_PROMPT_PREFIX = 'You are performing a CONTEXT CHECKPOINT COMPACTION';

const DEFAULT_COMPACTION_SUMMARY = 'Summary of the conversation so far (fake compaction).';
const DEFAULT_FALLBACK_TEXT = 'OK (fake model: no scripted reply left).';
const DEFAULT_USAGE: Required<FakeUsage> = { inputTokens: 100, outputTokens: 10, cachedInputTokens: 0 };

type ToolStep = Extract<FakeResponsesStep, { exec: string }> | Extract<FakeResponsesStep, { mcp: unknown }>;
type Source = FakeResponsesAnswer['source'];

interface KeyedReply {
  match: string | RegExp;
  /** A single step answers every match; a list is consumed one per match. */
  steps: FakeResponsesStep | FakeResponsesStep[];
}

interface Waiter {
  count: number;
  resolve: (log: readonly FakeResponsesRequest[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Starts the fake on `127.0.0.1:<random port>`. */
export async function createFakeResponsesServer(
  options: FakeResponsesServerOptions = {},
): Promise<FakeResponsesServer> {
  const compactionSummary = options.compactionSummary ?? DEFAULT_COMPACTION_SUMMARY;
  const fallbackText = options.fallbackText ?? DEFAULT_FALLBACK_TEXT;
  const tag = randomBytes(3).toString('hex');
  const requests: FakeResponsesRequest[] = [];
  const keyed: KeyedReply[] = [];
  /** Tool calls whose follow-up request has not arrived yet, by call_id. */
  const pendingCalls = new Map<string, ToolStep>();
  const inFlight = new Set<AbortController>();
  const waiters = new Set<Waiter>();
  let script: FakeResponsesScript | undefined = copyScript(options.script);
  let seq = 0;
  let closed = false;
  const nextId = (prefix: string) => `${prefix}_${tag}_${++seq}`;

  function log(entry: FakeResponsesRequest): void {
    requests.push(entry);
    for (const w of waiters) {
      if (requests.length >= w.count) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(requests);
      }
    }
  }

  /** Picks the step for an agent request: pending tool follow-up → keyed → script → fallback. */
  async function chooseStep(
    request: FakeResponsesRequest,
  ): Promise<{ step: FakeResponsesStep; source: Exclude<Source, 'compaction' | 'invalid'> }> {
    const callId = followUpCallId(request.body, pendingCalls);
    if (callId !== undefined) {
      const tool = pendingCalls.get(callId)!;
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
    const signal = abort.signal;

    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return; // client went away mid-body
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const entry: FakeResponsesRequest = {
      at: Date.now(),
      method,
      path,
      headers: flattenHeaders(req),
      body: raw,
      kind: 'other',
      lastUserText: '',
    };

    if (method !== 'POST' || path !== '/v1/responses') {
      log(entry);
      sendError(
        res,
        entry,
        'invalid',
        404,
        `fake Responses API: no route for ${method} ${path}`,
        'not_found',
      );
      return;
    }
    try {
      entry.body = raw === '' ? {} : JSON.parse(raw);
    } catch {
      log(entry);
      sendError(
        res,
        entry,
        'invalid',
        400,
        'fake Responses API: request body is not JSON',
        'invalid_request_error',
      );
      return;
    }
    entry.lastUserText = lastUserText(entry.body);
    entry.kind = isCompaction(entry) ? 'compaction' : 'turn';
    log(entry);

    const model = modelOf(entry.body);
    if (entry.kind === 'compaction') {
      entry.answer = { source: 'compaction', status: 200, text: compactionSummary };
      await streamText(res, signal, model, { text: compactionSummary, usage: options.compactionUsage });
      return;
    }

    let chosen: Awaited<ReturnType<typeof chooseStep>>;
    try {
      chosen = await chooseStep(entry);
    } catch (error) {
      sendError(res, entry, 'invalid', 500, `fake Responses API: script threw: ${errorMessage(error)}`);
      return;
    }
    const { step, source } = chosen;
    if (!step || typeof step !== 'object') {
      sendError(res, entry, 'invalid', 500, 'fake Responses API: the script returned no step');
      return;
    }
    if ('error' in step) {
      const { status, message, type } = step.error;
      sendError(res, entry, source, status, message, type);
      return;
    }
    if ('exec' in step || 'mcp' in step) {
      const call = toolCall(step, nextId('call'));
      entry.answer = { source, status: 200, call };
      pendingCalls.set(call.callId, step);
      if (!(await delay(step.delayMs, signal))) return;
      await streamToolCall(res, signal, model, call, step.usage);
      return;
    }
    if ('text' in step && typeof step.text === 'string') {
      entry.answer = { source, status: 200, text: step.text };
      if (!(await delay(step.delayMs, signal))) return;
      await streamText(res, signal, model, step);
      return;
    }
    sendError(res, entry, 'invalid', 500, `fake Responses API: not a step: ${JSON.stringify(step)}`);
  }

  function sendError(
    res: ServerResponse,
    entry: FakeResponsesRequest,
    source: Source,
    status: number,
    message: string,
    type?: string,
  ): void {
    entry.answer = { source, status, error: message };
    if (res.destroyed) return;
    const body = JSON.stringify({
      error: {
        message,
        type: type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
        param: null,
        code: null,
      },
    });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async function streamText(
    res: ServerResponse,
    signal: AbortSignal,
    model: string,
    step: { text: string; deltas?: number; deltaDelayMs?: number; usage?: FakeUsage | undefined },
  ): Promise<void> {
    const responseId = nextId('resp');
    const itemId = nextId('msg');
    const sse = openStream(res, signal);
    sse('response.created', { response: responseShell(responseId, model, 'in_progress', []) });
    sse('response.output_item.added', {
      output_index: 0,
      item: { type: 'message', role: 'assistant', id: itemId, status: 'in_progress', content: [] },
    });
    const pieces = split(step.text, step.deltas ?? 3);
    for (const [i, delta] of pieces.entries()) {
      if (i > 0 && !(await delay(step.deltaDelayMs, signal))) return;
      sse('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta });
    }
    const item = {
      type: 'message',
      role: 'assistant',
      id: itemId,
      status: 'completed',
      content: [{ type: 'output_text', text: step.text, annotations: [] }],
    };
    sse('response.output_item.done', { output_index: 0, item });
    sse('response.completed', {
      response: { ...responseShell(responseId, model, 'completed', [item]), usage: wireUsage(step.usage) },
    });
    if (!signal.aborted) res.end();
  }

  async function streamToolCall(
    res: ServerResponse,
    signal: AbortSignal,
    model: string,
    call: NonNullable<FakeResponsesAnswer['call']>,
    usage: FakeUsage | undefined,
  ): Promise<void> {
    const responseId = nextId('resp');
    const item = {
      type: 'function_call',
      id: nextId('fc'),
      call_id: call.callId,
      name: call.name,
      ...(call.namespace === undefined ? {} : { namespace: call.namespace }),
      arguments: call.arguments,
      status: 'completed',
    };
    const sse = openStream(res, signal);
    // Codex 0.169.0 acts on `output_item.done`; no `output_item.added` for calls (the verified minimal form).
    sse('response.created', { response: responseShell(responseId, model, 'in_progress', []) });
    sse('response.output_item.done', { output_index: 0, item });
    sse('response.completed', {
      response: { ...responseShell(responseId, model, 'completed', [item]), usage: wireUsage(usage) },
    });
    if (!signal.aborted) res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Last resort: never leave a request hanging on a bug in the fake itself.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { message: `fake Responses API bug: ${errorMessage(error)}`, type: 'server_error' },
          }),
        );
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
    reset() {
      requests.length = 0;
      keyed.length = 0;
      pendingCalls.clear();
      script = copyScript(options.script);
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests);
      if (closed) return Promise.reject(new Error('fake Responses server is closed'));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          count,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(
              new Error(
                `fake Responses server: ${requests.length} of ${count} requests after ${timeoutMs} ms`,
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
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new Error('fake Responses server closed'));
      }
      waiters.clear();
      for (const abort of inFlight) abort.abort();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}

/** Returns a writer of `event: <type>\ndata: <json>\n\n` events (one `res.write` each); no-op once aborted. */
function openStream(res: ServerResponse, signal: AbortSignal) {
  let sequence = 0;
  if (!signal.aborted && !res.headersSent) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
  }
  return (type: string, payload: Record<string, unknown>) => {
    if (signal.aborted || res.destroyed) return;
    const data = JSON.stringify({ type, sequence_number: sequence++, ...payload });
    res.write(`event: ${type}\ndata: ${data}\n\n`);
  };
}

function responseShell(id: string, model: string, status: string, output: unknown[]) {
  return { id, object: 'response', created_at: Math.floor(Date.now() / 1000), status, model, output };
}

function wireUsage(usage: FakeUsage | undefined) {
  const input = usage?.inputTokens ?? DEFAULT_USAGE.inputTokens;
  const output = usage?.outputTokens ?? DEFAULT_USAGE.outputTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage?.cachedInputTokens ?? DEFAULT_USAGE.cachedInputTokens },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

function toolCall(step: ToolStep, callId: string): NonNullable<FakeResponsesAnswer['call']> {
  if ('exec' in step) {
    return { callId, name: 'exec_command', arguments: JSON.stringify({ cmd: step.exec }) };
  }
  return {
    callId,
    name: step.mcp.tool,
    namespace: `mcp__${step.mcp.server}`,
    arguments: JSON.stringify(step.mcp.arguments),
  };
}

/** `text` in `count` pieces of near-equal length (by code point); none for empty text. */
function split(text: string, count: number): string[] {
  const chars = Array.from(text);
  const n = Math.max(1, Math.min(Math.floor(count), chars.length));
  if (chars.length === 0) return [];
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

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function inputItems(body: unknown): unknown[] {
  return isRecord(body) && Array.isArray(body.input) ? body.input : [];
}

function isUserMessage(item: unknown): item is Record<string, unknown> {
  return isRecord(item) && item.role === 'user' && (item.type === undefined || item.type === 'message');
}

/** Text of the last `user` message: its `input_text`/`text` parts joined by newlines (or a string input). */
function lastUserText(body: unknown): string {
  if (isRecord(body) && typeof body.input === 'string') return body.input;
  const user = inputItems(body).findLast(isUserMessage);
  if (!user) return '';
  if (typeof user.content === 'string') return user.content;
  if (!Array.isArray(user.content)) return '';
  return user.content
    .filter(
      (part): part is { text: string } =>
        isRecord(part) &&
        (part.type === 'input_text' || part.type === 'text') &&
        typeof part.text === 'string',
    )
    .map((part) => part.text)
    .join('\n');
}

/** Either marker: the compaction prompt as final user message, or `request_kind: "compaction"` in the header. */
function isCompaction(request: FakeResponsesRequest): boolean {
  if (request.lastUserText.trimStart().startsWith(CODEX_COMPACTION_PROMPT_PREFIX)) return true;
  const meta = request.headers['x-codex-turn-metadata'];
  if (!meta) return false;
  try {
    const parsed: unknown = JSON.parse(meta);
    return isRecord(parsed) && parsed.request_kind === 'compaction';
  } catch {
    return /"request_kind"\s*:\s*"compaction"/.test(meta);
  }
}

/**
 * The call_id of a pending tool call whose output ends the input: scans back from the end up to the last
 * user message (Codex appends the call and its output after the prompt).
 */
function followUpCallId(body: unknown, pending: ReadonlyMap<string, unknown>): string | undefined {
  const items = inputItems(body);
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (isUserMessage(item)) return undefined;
    if (
      isRecord(item) &&
      (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') &&
      typeof item.call_id === 'string' &&
      pending.has(item.call_id)
    ) {
      return item.call_id;
    }
  }
  return undefined;
}

function matches(match: string | RegExp, text: string): boolean {
  if (typeof match === 'string') return text.includes(match);
  match.lastIndex = 0;
  return match.test(text);
}

function modelOf(body: unknown): string {
  return isRecord(body) && typeof body.model === 'string' ? body.model : 'fake-model';
}

function copyScript(script: FakeResponsesScript | undefined): FakeResponsesScript | undefined {
  return Array.isArray(script) ? [...script] : script;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
