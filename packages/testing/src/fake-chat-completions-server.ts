/**
 * The loopback fake of the OpenAI Chat Completions API (see `fake-chat-completions-types.ts`):
 * `POST /v1/chat/completions` answered with scripted SSE chunks (`data: {choices:[{delta}]}` ... `data: [DONE]`)
 * or a JSON completion, in the shape `@ai-sdk/openai-compatible` (OpenCode) consumes. node:http only.
 */
import type { ServerResponse } from 'node:http';
import type {
  FakeChatAnswer,
  FakeChatCompletionsServer,
  FakeChatCompletionsServerOptions,
  FakeChatRequest,
  FakeChatStep,
  FakeChatUsage,
} from './fake-chat-completions-types.js';
import {
  createFakeModel,
  delay,
  errorMessage,
  type FakeRequestHandler,
  isRecord,
  logEntryBase,
  missingKey,
  openAiErrorBody,
  openSse,
  type SseWriter,
  sendJson,
  split,
} from './fake-server-kit.js';
import { collectToolResults, parseArguments, resultText, type WireToolResult } from './fake-tool-results.js';

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
  const titleText = options.titleText ?? DEFAULT_TITLE_TEXT;
  const sideText = options.sideText ?? DEFAULT_SIDE_TEXT;
  const models = options.models ?? ['fake-model'];
  const fake = createFakeModel<FakeChatStep, FakeChatRequest, ToolStep>({
    label: 'fake Chat Completions server',
    script: options.script,
    fallbackText: options.fallbackText,
    followUpCallId,
  });
  const { requests, log, nextId } = fake;

  const handle: FakeRequestHandler = async (request, res, signal) => {
    const { method, path, raw } = request;
    const entry: FakeChatRequest = {
      ...logEntryBase(request),
      kind: 'other',
      lastUserText: '',
      tools: [],
    };
    const refused = missingKey(request.headers, options.apiKey);
    if (refused) {
      log(entry);
      sendError(res, entry, 'invalid', 401, refused, 'invalid_request_error');
      return;
    }
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
      signal,
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
  };

  async function answerAgent(entry: FakeChatRequest, context: StreamContext): Promise<void> {
    let chosen: { step: FakeChatStep; source: Source };
    try {
      chosen = await fake.choose(entry);
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
      fake.pendingCalls.set(call.callId, step);
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
    const stream = openStream(context, id);
    stream.chunk({ role: 'assistant', content: '' }, null);
    for (const [i, piece] of split(step.text, step.deltas ?? 3).entries()) {
      if (i > 0 && !(await delay(step.deltaDelayMs, context.signal))) return;
      stream.chunk({ content: piece }, null);
    }
    finishStream(context, id, stream, 'stop', step.usage);
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
    const stream = openStream(context, id);
    stream.chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, ...wireCall }] }, null);
    finishStream(context, id, stream, 'tool_calls', usage);
  }

  function finishStream(
    context: StreamContext,
    id: string,
    stream: ChunkWriter,
    finishReason: string,
    usage: FakeChatUsage | undefined,
  ): void {
    stream.chunk({}, finishReason);
    if (!stream.sse.open) return;
    if (context.includeUsage) {
      stream.sse.write({
        id,
        object: 'chat.completion.chunk',
        created: now(),
        model: context.model,
        choices: [],
        usage: wireUsage(usage),
      });
    }
    stream.sse.write('[DONE]');
    context.res.end();
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
    sendJson(res, status, openAiErrorBody(status, message, type));
  }

  const { port, controls } = await fake.listen(handle, (res, error) =>
    sendJson(res, 500, {
      error: { message: `fake Chat Completions API bug: ${errorMessage(error)}`, type: 'server_error' },
    }),
  );

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    ...controls,
    agentRequests: () => requests.filter((request) => request.kind === 'agent'),
    toolResults: () =>
      collectToolResults(
        requests,
        (request) => {
          const call = request.answer?.call;
          return call && { callId: call.callId, name: call.name, input: parseArguments(call.arguments) };
        },
        (request) => wireToolResults(request.body),
      ),
  };
}

interface ChunkWriter {
  sse: SseWriter;
  /** Writes one `data: <chunk>` event; a no-op once the client is gone. */
  chunk(delta: Record<string, unknown>, finish: string | null): void;
}

function openStream(context: StreamContext, id: string): ChunkWriter {
  const sse = openSse(context.res, context.signal);
  return {
    sse,
    chunk(delta, finish) {
      if (!sse.open) return;
      sse.write({
        id,
        object: 'chat.completion.chunk',
        created: now(),
        model: context.model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    },
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

/** The `tool` messages of a request. */
function wireToolResults(body: unknown): WireToolResult[] {
  return messagesOf(body).flatMap((message) =>
    message.role === 'tool' && typeof message.tool_call_id === 'string'
      ? [{ callId: message.tool_call_id, output: resultText(message.content) }]
      : [],
  );
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

function now(): number {
  return Math.floor(Date.now() / 1000);
}
