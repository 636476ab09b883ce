/**
 * The loopback fake of the OpenAI Responses API (see `fake-responses-types.ts`): `POST /v1/responses`
 * answered with scripted SSE in the shape Codex app-server 0.169.0 consumes. node:http only.
 */
import type { ServerResponse } from 'node:http';
import type {
  FakeResponsesAnswer,
  FakeResponsesRequest,
  FakeResponsesServer,
  FakeResponsesServerOptions,
  FakeResponsesStep,
  FakeResponsesToolResult,
  FakeUsage,
} from './fake-responses-types.js';
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
  sendJson,
  split,
} from './fake-server-kit.js';
import {
  collectToolResults,
  type FakeToolResult,
  parseArguments,
  resultText,
  type WireToolResult,
} from './fake-tool-results.js';

/** How Codex's local compaction prompt (the final user message) starts. */
export const CODEX_COMPACTION_PROMPT_PREFIX = 'You are performing a CONTEXT CHECKPOINT COMPACTION';

const DEFAULT_COMPACTION_SUMMARY = 'Summary of the conversation so far (fake compaction).';
const DEFAULT_USAGE: Required<FakeUsage> = { inputTokens: 100, outputTokens: 10, cachedInputTokens: 0 };

type ToolStep =
  | Extract<FakeResponsesStep, { exec: string }>
  | Extract<FakeResponsesStep, { applyPatch: string }>
  | Extract<FakeResponsesStep, { mcp: unknown }>;
type Source = FakeResponsesAnswer['source'];

/** Starts the fake on `127.0.0.1:<random port>`. */
export async function createFakeResponsesServer(
  options: FakeResponsesServerOptions = {},
): Promise<FakeResponsesServer> {
  const compactionSummary = options.compactionSummary ?? DEFAULT_COMPACTION_SUMMARY;
  const fake = createFakeModel<FakeResponsesStep, FakeResponsesRequest, ToolStep>({
    label: 'fake Responses server',
    script: options.script,
    fallbackText: options.fallbackText,
    followUpCallId,
  });
  const { log, nextId } = fake;

  const handle: FakeRequestHandler = async (request, res, signal) => {
    const { method, path, raw } = request;
    const entry: FakeResponsesRequest = {
      ...logEntryBase(request),
      kind: 'other',
      lastUserText: '',
    };
    const refused = missingKey(request.headers, options.apiKey);
    if (refused) {
      log(entry);
      sendError(res, entry, 'invalid', 401, refused, 'invalid_request_error');
      return;
    }
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

    let chosen: Awaited<ReturnType<typeof fake.choose>>;
    try {
      chosen = await fake.choose(entry);
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
    if ('exec' in step || 'applyPatch' in step || 'mcp' in step) {
      let call: NonNullable<FakeResponsesAnswer['call']>;
      try {
        call = toolCall(step, nextId('call'));
      } catch (error) {
        sendError(res, entry, 'invalid', 500, errorMessage(error));
        return;
      }
      entry.answer = { source, status: 200, call };
      fake.pendingCalls.set(call.callId, step);
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
  };

  function sendError(
    res: ServerResponse,
    entry: FakeResponsesRequest,
    source: Source,
    status: number,
    message: string,
    type?: string,
  ): void {
    entry.answer = { source, status, error: message };
    sendJson(res, status, openAiErrorBody(status, message, type));
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

  const { port, controls } = await fake.listen(handle, (res, error) =>
    sendJson(res, 500, {
      error: { message: `fake Responses API bug: ${errorMessage(error)}`, type: 'server_error' },
    }),
  );

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    ...controls,
    toolResults: () =>
      collectToolResults(fake.requests, scriptedCall, (request) => wireToolResults(request.body)).map(
        withExitCode,
      ),
  };
}

/** Returns a writer of `event: <type>\ndata: <json>\n\n` events (one `res.write` each); no-op once aborted. */
function openStream(res: ServerResponse, signal: AbortSignal) {
  let sequence = 0;
  const sse = openSse(res, signal);
  return (type: string, payload: Record<string, unknown>) => {
    if (!sse.open) return;
    sse.write({ type, sequence_number: sequence++, ...payload }, type);
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
    const wait = step.yieldTimeMs === undefined ? {} : { yield_time_ms: step.yieldTimeMs };
    return { callId, name: 'exec_command', arguments: JSON.stringify({ cmd: step.exec, ...wait }) };
  }
  if ('applyPatch' in step) {
    return {
      callId,
      name: 'exec_command',
      arguments: JSON.stringify({ cmd: applyPatchCommand(step.applyPatch) }),
    };
  }
  return {
    callId,
    name: step.mcp.tool,
    namespace: `mcp__${step.mcp.server}`,
    arguments: JSON.stringify(step.mcp.arguments),
  };
}

/** `apply_patch <<'EOF' … EOF`: the command form Codex intercepts (a patch line `EOF` would end it early). */
function applyPatchCommand(patch: string): string {
  const body = patch.endsWith('\n') ? patch : `${patch}\n`;
  if (body.split('\n').includes('EOF')) throw new Error('fake Responses API: a patch line reads EOF');
  return `apply_patch <<'EOF'\n${body}EOF`;
}

function scriptedCall(request: FakeResponsesRequest) {
  const call = request.answer?.call;
  return call && { callId: call.callId, name: call.name, input: parseArguments(call.arguments) };
}

/** The `function_call_output` / `custom_tool_call_output` items of a request's input. */
function wireToolResults(body: unknown): WireToolResult[] {
  return inputItems(body).flatMap((item) =>
    isRecord(item) &&
    (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') &&
    typeof item.call_id === 'string'
      ? [{ callId: item.call_id, output: resultText(item.output) }]
      : [],
  );
}

const EXIT_CODE = /^(?:Process exited with code|Exit code:) (-?\d+)$/m;

function withExitCode(result: FakeToolResult): FakeResponsesToolResult {
  const code = EXIT_CODE.exec(result.output)?.[1];
  const marker = result.output.lastIndexOf('Output:\n');
  return {
    ...result,
    ...(code === undefined ? {} : { exitCode: Number(code) }),
    commandOutput: marker < 0 ? result.output : result.output.slice(marker + 'Output:\n'.length),
  };
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

function modelOf(body: unknown): string {
  return isRecord(body) && typeof body.model === 'string' ? body.model : 'fake-model';
}
