/**
 * The loopback fake of the Anthropic Messages API (see `fake-anthropic-types.ts`): `POST /v1/messages`
 * answered with scripted SSE (or JSON when `stream` is false) in the shape Claude Code 2.1.x consumes, plus
 * `POST /v1/messages/count_tokens` and a 200 for anything else. node:http only.
 */
import type { ServerResponse } from 'node:http';
import type {
  FakeAnthropicAnswer,
  FakeAnthropicRequest,
  FakeAnthropicRequestKind,
  FakeAnthropicServer,
  FakeAnthropicServerOptions,
  FakeAnthropicStep,
  FakeAnthropicUsage,
} from './fake-anthropic-types.js';
import {
  createFakeModel,
  delay,
  errorMessage,
  type FakeRequestHandler,
  isRecord,
  logEntryBase,
  missingKey,
  openSse,
  sendJson,
  split,
} from './fake-server-kit.js';
import { collectToolResults, resultText, type WireToolResult } from './fake-tool-results.js';

/** How Claude Code's compaction prompt (the final user message of the summary request) starts. */
export const CLAUDE_COMPACTION_PROMPT_MARKER = 'Your task is to create a detailed summary';

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
  | Extract<FakeAnthropicStep, { write: unknown }>
  | Extract<FakeAnthropicStep, { edit: unknown }>
  | Extract<FakeAnthropicStep, { mcp: unknown }>
  | Extract<FakeAnthropicStep, { tool: unknown }>;
type TextStep = Extract<FakeAnthropicStep, { text: string }>;
type Source = FakeAnthropicAnswer['source'];
type Call = NonNullable<FakeAnthropicAnswer['call']>;

/** Starts the fake on `127.0.0.1:<random port>`. */
export async function createFakeAnthropicServer(
  options: FakeAnthropicServerOptions = {},
): Promise<FakeAnthropicServer> {
  const compactionSummary = options.compactionSummary ?? DEFAULT_COMPACTION_SUMMARY;
  const sideText = options.sideText ?? DEFAULT_SIDE_TEXT;
  const fake = createFakeModel<FakeAnthropicStep, FakeAnthropicRequest, ToolStep>({
    label: 'fake Anthropic server',
    script: options.script,
    fallbackText: options.fallbackText,
    formatId: (prefix, tag, n) => `${prefix}_${tag}${String(n).padStart(4, '0')}`,
    followUpCallId,
  });
  const { requests, log, nextId } = fake;

  const handle: FakeRequestHandler = async (request, res, signal) => {
    const { method, path, raw } = request;
    const entry: FakeAnthropicRequest = {
      ...logEntryBase(request),
      query: request.query,
      kind: 'other',
      lastUserText: '',
      stream: false,
    };
    const refused = missingKey(request.headers, options.apiKey);
    if (refused) {
      log(entry);
      sendError(res, entry, 'invalid', 401, refused, 'authentication_error');
      return;
    }
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
  };

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
      chosen = await fake.choose(entry);
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
    if ('command' in step || 'write' in step || 'edit' in step || 'mcp' in step || 'tool' in step) {
      const call = toolCall(step, nextId('toolu'));
      entry.answer = { source, status: 200, call };
      fake.pendingCalls.set(call.id, step);
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

  const { port, controls } = await fake.listen(handle, (res, error) =>
    sendJson(res, 500, {
      type: 'error',
      error: { type: 'api_error', message: `fake Anthropic API bug: ${errorMessage(error)}` },
    }),
  );

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    ...controls,
    agentRequests: () => requests.filter((request) => request.kind === 'agent'),
    toolResults: () =>
      collectToolResults(
        requests,
        (request) => {
          const call = request.answer?.call;
          return call && { callId: call.id, name: call.name, input: call.input };
        },
        (request) => (request.kind === 'agent' ? wireToolResults(request.body) : []),
      ),
    sawText: (text) =>
      requests.some((request) => request.kind === 'agent' && JSON.stringify(request.body).includes(text)),
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
  const sse = openSse(res, signal);
  return (type: string, payload: Record<string, unknown>) => sse.write({ type, ...payload }, type);
}

function toolCall(step: ToolStep, id: string): Call {
  if ('command' in step) return { id, name: 'Bash', input: { command: step.command } };
  if ('write' in step) return { id, name: 'Write', input: { ...step.write } };
  if ('edit' in step) return { id, name: 'Edit', input: { ...step.edit } };
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

const IMAGE_SOURCE_LINE = /^\[Image: source: [^\]]*\]$/;

function messagesOf(body: unknown): unknown[] {
  return isRecord(body) && Array.isArray(body.messages) ? body.messages : [];
}

/**
 * The last text block of a user message that is not a `<system-reminder>` nor the `[Image: source: …]` line
 * Claude Code adds after an image block it was sent ('' when none).
 */
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
    .filter((text) => text !== '' && !text.startsWith('<system-reminder>') && !IMAGE_SOURCE_LINE.test(text));
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

/** The `tool_result` blocks of a request's user messages. */
function wireToolResults(body: unknown): WireToolResult[] {
  return messagesOf(body).flatMap((message) =>
    isRecord(message) && message.role === 'user' && Array.isArray(message.content)
      ? message.content.flatMap((part) =>
          isRecord(part) && part.type === 'tool_result' && typeof part.tool_use_id === 'string'
            ? [
                {
                  callId: part.tool_use_id,
                  output: resultText(part.content),
                  isError: part.is_error === true,
                },
              ]
            : [],
        )
      : [],
  );
}

// --- helpers ------------------------------------------------------------------------------------------------

function modelOf(body: unknown): string {
  return isRecord(body) && typeof body.model === 'string' ? body.model : 'claude-fake';
}
