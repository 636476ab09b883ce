/**
 * The loopback fake of the Anthropic Messages API (see `fake-anthropic-types.ts`): `POST /v1/messages`
 * answered with scripted SSE (or JSON when `stream` is false) in the shape Claude Code 2.1.x consumes, plus
 * `POST /v1/messages/count_tokens` and a 200 for anything else. node:http only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  FakeAnthropicAnswer,
  FakeAnthropicRequest,
  FakeAnthropicRequestKind,
  FakeAnthropicScript,
  FakeAnthropicServer,
  FakeAnthropicServerOptions,
  FakeAnthropicStep,
  FakeAnthropicUsage,
} from './fake-anthropic-types.js';

/** How Claude Code's compaction prompt (the final user message of the summary request) starts. */
export const CLAUDE_COMPACTION_PROMPT_MARKER = 'Your task is to create a detailed summary';

const DEFAULT_FALLBACK_TEXT = 'OK (fake model: no scripted reply left).';
const DEFAULT_COMPACTION_SUMMARY = 'Summary of the conversation so far (fake compaction).';
const DEFAULT_SIDE_TEXT = 'Fake side answer';
const DEFAULT_USAGE: Required<FakeAnthropicUsage> = {
  inputTokens: 100,
  outputTokens: 10,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
};

type ToolStep =
  | Extract<FakeAnthropicStep, { command: string }>
  | Extract<FakeAnthropicStep, { mcp: unknown }>
  | Extract<FakeAnthropicStep, { tool: unknown }>;
type TextStep = Extract<FakeAnthropicStep, { text: string }>;
type Source = FakeAnthropicAnswer['source'];
type Call = NonNullable<FakeAnthropicAnswer['call']>;

interface KeyedReply {
  match: string | RegExp;
  /** A single step answers every match; a list is consumed one per match. */
  steps: FakeAnthropicStep | FakeAnthropicStep[];
}

interface Waiter {
  count: number;
  resolve: (log: readonly FakeAnthropicRequest[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Starts the fake on `127.0.0.1:<random port>`. */
export async function createFakeAnthropicServer(
  options: FakeAnthropicServerOptions = {},
): Promise<FakeAnthropicServer> {
  const fallbackText = options.fallbackText ?? DEFAULT_FALLBACK_TEXT;
  const compactionSummary = options.compactionSummary ?? DEFAULT_COMPACTION_SUMMARY;
  const sideText = options.sideText ?? DEFAULT_SIDE_TEXT;
  const tag = randomBytes(3).toString('hex');
  const requests: FakeAnthropicRequest[] = [];
  const keyed: KeyedReply[] = [];
  /** Tool calls whose follow-up request has not arrived yet, by tool_use id. */
  const pendingCalls = new Map<string, ToolStep>();
  const inFlight = new Set<AbortController>();
  const waiters = new Set<Waiter>();
  let script = copyScript(options.script);
  let seq = 0;
  let closed = false;
  const nextId = (prefix: string) => `${prefix}_${tag}${String(++seq).padStart(4, '0')}`;

  function log(entry: FakeAnthropicRequest): void {
    requests.push(entry);
    for (const w of waiters) {
      if (requests.length < w.count) continue;
      waiters.delete(w);
      clearTimeout(w.timer);
      w.resolve(requests);
    }
  }

  /** Picks the step for an agent request: pending tool follow-up → keyed → script → fallback. */
  async function chooseStep(
    request: FakeAnthropicRequest,
  ): Promise<{ step: FakeAnthropicStep; source: Source }> {
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
    const signal = abort.signal;
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return; // client went away mid-body
    }
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const method = req.method ?? 'GET';
    const entry: FakeAnthropicRequest = {
      at: Date.now(),
      method,
      path,
      query,
      headers: flattenHeaders(req),
      body: raw,
      kind: 'other',
      lastUserText: '',
      stream: false,
    };
    if (method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) {
      log(entry);
      entry.answer = { source: 'other', status: 200 };
      sendJson(res, 200, {});
      return;
    }
    try {
      entry.body = raw === '' ? {} : JSON.parse(raw);
    } catch {
      log(entry);
      sendError(res, entry, 'invalid', 400, 'fake Anthropic API: request body is not JSON');
      return;
    }
    entry.lastUserText = lastUserText(entry.body);
    entry.stream = isRecord(entry.body) && entry.body.stream === true;
    entry.kind = kindOf(path, entry);
    log(entry);
    await answer(entry, res, signal);
  }

  async function answer(
    entry: FakeAnthropicRequest,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    const model = modelOf(entry.body);
    if (entry.kind === 'count_tokens') {
      const tokens = Math.max(1, Math.ceil(JSON.stringify(entry.body).length / 4));
      entry.answer = { source: 'count_tokens', status: 200 };
      sendJson(res, 200, { input_tokens: tokens });
      return;
    }
    if (entry.kind === 'compaction' || entry.kind === 'side') {
      const text = entry.kind === 'compaction' ? compactionSummary : sideText;
      const usage = entry.kind === 'compaction' ? options.compactionUsage : undefined;
      entry.answer = { source: entry.kind, status: 200, text };
      await sendMessage(res, signal, entry, model, { blocks: [{ type: 'text', text }], usage });
      return;
    }
    let chosen: { step: FakeAnthropicStep; source: Source };
    try {
      chosen = await chooseStep(entry);
    } catch (error) {
      sendError(res, entry, 'invalid', 500, `fake Anthropic API: script threw: ${errorMessage(error)}`);
      return;
    }
    await answerStep(entry, res, signal, model, chosen.step, chosen.source);
  }

  async function answerStep(
    entry: FakeAnthropicRequest,
    res: ServerResponse,
    signal: AbortSignal,
    model: string,
    step: FakeAnthropicStep,
    source: Source,
  ): Promise<void> {
    if (!step || typeof step !== 'object') {
      sendError(res, entry, 'invalid', 500, 'fake Anthropic API: the script returned no step');
      return;
    }
    if ('error' in step) {
      sendError(res, entry, source, step.error.status, step.error.message, step.error.type);
      return;
    }
    if ('command' in step || 'mcp' in step || 'tool' in step) {
      const call = toolCall(step, nextId('toolu'));
      entry.answer = { source, status: 200, call };
      pendingCalls.set(call.id, step);
      if (!(await delay(step.delayMs, signal))) return;
      const blocks: Block[] = [];
      if (step.preface) blocks.push({ type: 'text', text: step.preface });
      blocks.push({ type: 'tool_use', ...call });
      await sendMessage(res, signal, entry, model, { blocks, usage: step.usage, stopReason: 'tool_use' });
      return;
    }
    if ('text' in step && typeof step.text === 'string') {
      const text = step as TextStep;
      entry.answer = { source, status: 200, text: text.text };
      if (!(await delay(text.delayMs, signal))) return;
      await sendMessage(res, signal, entry, model, {
        blocks: [{ type: 'text', text: text.text }],
        usage: text.usage,
        deltas: text.deltas,
        deltaDelayMs: text.deltaDelayMs,
      });
      return;
    }
    sendError(res, entry, 'invalid', 500, `fake Anthropic API: not a step: ${JSON.stringify(step)}`);
  }

  async function sendMessage(
    res: ServerResponse,
    signal: AbortSignal,
    entry: FakeAnthropicRequest,
    model: string,
    message: MessageSpec,
  ): Promise<void> {
    const id = nextId('msg');
    if (!entry.stream) {
      sendJson(res, 200, messageJson(id, model, message));
      return;
    }
    await streamMessage(res, signal, id, model, message);
  }

  function sendError(
    res: ServerResponse,
    entry: FakeAnthropicRequest,
    source: Source,
    status: number,
    message: string,
    type?: string,
  ): void {
    entry.answer = { source, status, error: message };
    const errorType = type ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    sendJson(res, status, { type: 'error', error: { type: errorType, message } });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Last resort: never leave a request hanging on a bug in the fake itself.
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, {
          type: 'error',
          error: { type: 'api_error', message: `fake Anthropic API bug: ${errorMessage(error)}` },
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
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    agentRequests: () => requests.filter((request) => request.kind === 'agent'),
    on(match, step) {
      keyed.push({ match, steps: Array.isArray(step) ? [...step] : step });
    },
    script(next) {
      script = copyScript(next);
    },
    sawText: (text) =>
      requests.some((request) => request.kind === 'agent' && JSON.stringify(request.body).includes(text)),
    reset() {
      requests.length = 0;
      keyed.length = 0;
      pendingCalls.clear();
      script = copyScript(options.script);
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests);
      if (closed) return Promise.reject(new Error('fake Anthropic server is closed'));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          count,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(
              new Error(
                `fake Anthropic server: ${requests.length} of ${count} requests after ${timeoutMs} ms`,
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
        w.reject(new Error('fake Anthropic server closed'));
      }
      waiters.clear();
      for (const abort of inFlight) abort.abort();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}

// --- wire format --------------------------------------------------------------------------------------------

type Block = { type: 'text'; text: string } | ({ type: 'tool_use' } & Call);

interface MessageSpec {
  blocks: Block[];
  usage?: FakeAnthropicUsage | undefined;
  stopReason?: 'end_turn' | 'tool_use';
  deltas?: number | undefined;
  deltaDelayMs?: number | undefined;
}

function wireUsage(usage: FakeAnthropicUsage | undefined) {
  return {
    input_tokens: usage?.inputTokens ?? DEFAULT_USAGE.inputTokens,
    cache_creation_input_tokens: usage?.cacheCreationInputTokens ?? DEFAULT_USAGE.cacheCreationInputTokens,
    cache_read_input_tokens: usage?.cacheReadInputTokens ?? DEFAULT_USAGE.cacheReadInputTokens,
    output_tokens: usage?.outputTokens ?? DEFAULT_USAGE.outputTokens,
  };
}

function messageJson(id: string, model: string, message: MessageSpec) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: message.blocks,
    stop_reason: message.stopReason ?? 'end_turn',
    stop_sequence: null,
    usage: wireUsage(message.usage),
  };
}

/** message_start, per block content_block_start/delta…/stop, message_delta (stop reason, usage), message_stop. */
async function streamMessage(
  res: ServerResponse,
  signal: AbortSignal,
  id: string,
  model: string,
  message: MessageSpec,
): Promise<void> {
  const usage = wireUsage(message.usage);
  const sse = openStream(res, signal);
  sse('message_start', {
    message: {
      ...messageJson(id, model, { ...message, blocks: [] }),
      stop_reason: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  for (const [index, block] of message.blocks.entries()) {
    if (block.type === 'text') {
      sse('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const [i, text] of split(block.text, message.deltas ?? 3).entries()) {
        if (i > 0 && !(await delay(message.deltaDelayMs, signal))) return;
        sse('content_block_delta', { index, delta: { type: 'text_delta', text } });
      }
    } else {
      const { type, ...call } = block;
      sse('content_block_start', { index, content_block: { type, id: call.id, name: call.name, input: {} } });
      sse('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(call.input) },
      });
    }
    sse('content_block_stop', { index });
  }
  sse('message_delta', {
    delta: { stop_reason: message.stopReason ?? 'end_turn', stop_sequence: null },
    usage,
  });
  sse('message_stop', {});
  if (!signal.aborted && !res.destroyed) res.end();
}

/** Returns a writer of `event: <type>\ndata: <json>\n\n` events; a no-op once the client is gone. */
function openStream(res: ServerResponse, signal: AbortSignal) {
  if (!signal.aborted && !res.headersSent) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
  }
  return (type: string, payload: Record<string, unknown>) => {
    if (signal.aborted || res.destroyed) return;
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`);
  };
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed || res.headersSent) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function toolCall(step: ToolStep, id: string): Call {
  if ('command' in step) return { id, name: 'Bash', input: { command: step.command } };
  if ('mcp' in step)
    return { id, name: `mcp__${step.mcp.server}__${step.mcp.tool}`, input: step.mcp.arguments };
  return { id, name: step.tool.name, input: step.tool.input };
}

// --- request analysis ---------------------------------------------------------------------------------------

function kindOf(path: string, entry: FakeAnthropicRequest): FakeAnthropicRequestKind {
  if (path.endsWith('/count_tokens')) return 'count_tokens';
  const last = JSON.stringify(messagesOf(entry.body).at(-1) ?? '');
  if (last.includes(CLAUDE_COMPACTION_PROMPT_MARKER)) return 'compaction';
  const tools = isRecord(entry.body) ? entry.body.tools : undefined;
  return Array.isArray(tools) && tools.length > 0 ? 'agent' : 'side';
}

function messagesOf(body: unknown): unknown[] {
  return isRecord(body) && Array.isArray(body.messages) ? body.messages : [];
}

/** The last text block of a user message that is not a `<system-reminder>` ('' when none). */
function userTextOf(message: unknown): string {
  if (!isRecord(message) || message.role !== 'user') return '';
  if (typeof message.content === 'string') return message.content.trim();
  if (!Array.isArray(message.content)) return '';
  const texts = message.content
    .filter(
      (part): part is { text: string } =>
        isRecord(part) && part.type === 'text' && typeof part.text === 'string',
    )
    .map((part) => part.text.trim())
    .filter((text) => text !== '' && !text.startsWith('<system-reminder>'));
  return texts.at(-1) ?? '';
}

/**
 * The prompt a request answers: the last text block of the last user message that has one. Claude Code merges
 * consecutive user messages (a prompt after a failed or interrupted turn) into one, so the last block is the
 * newest prompt; system reminders and tool results are skipped.
 */
function lastUserText(body: unknown): string {
  const messages = messagesOf(body);
  for (let i = messages.length - 1; i >= 0; i--) {
    const text = userTextOf(messages[i]);
    if (text !== '') return text;
  }
  return '';
}

/** The id of a pending tool call whose `tool_result` is in the last message. */
function followUpCallId(body: unknown, pending: ReadonlyMap<string, unknown>): string | undefined {
  const last = messagesOf(body).at(-1);
  if (!isRecord(last) || last.role !== 'user' || !Array.isArray(last.content)) return undefined;
  for (const part of last.content) {
    if (isRecord(part) && part.type === 'tool_result' && typeof part.tool_use_id === 'string') {
      if (pending.has(part.tool_use_id)) return part.tool_use_id;
    }
  }
  return undefined;
}

// --- helpers ------------------------------------------------------------------------------------------------

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

function matches(match: string | RegExp, text: string): boolean {
  if (typeof match === 'string') return text.includes(match);
  match.lastIndex = 0;
  return match.test(text);
}

function modelOf(body: unknown): string {
  return isRecord(body) && typeof body.model === 'string' ? body.model : 'claude-fake';
}

function copyScript(script: FakeAnthropicScript | undefined): FakeAnthropicScript | undefined {
  return Array.isArray(script) ? [...script] : script;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
