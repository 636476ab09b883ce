import { execFile } from 'node:child_process';
import { type AgentEvent, errorMessage, type TurnInput, type TurnStatus } from '@nanoclaw/core';
import { abortableDelay, raceAbort } from './abortable-delay.js';
import type { McpPool } from './mcp-pool.js';
import { splitText } from './split-text.js';
import type { MockStep, MockToolResult, MockTurnContext } from './types.js';

export const DEFAULT_DELTAS = 3;
const EXIT_PAUSE_MS = 20;

export interface TurnRunContext extends MockTurnContext {
  input: TurnInput;
  emit: (event: AgentEvent) => void;
  resolveStep: (input: TurnInput, ctx: MockTurnContext) => Promise<MockStep>;
  pool: McpPool;
}

/** Plays one scripted turn between its `turn-start` and `turn-end` and returns how it ended. */
export async function runTurn(ctx: TurnRunContext): Promise<{ status: TurnStatus; text: string }> {
  const { turnId, signal, emit } = ctx;
  let step: MockStep;
  try {
    const raced = await raceAbort(ctx.resolveStep(ctx.input, ctx), signal);
    if (raced.aborted) return { status: 'interrupted', text: '' };
    step = raced.value;
  } catch (error) {
    const message = errorMessage(error);
    emit({ type: 'error', turnId, message, code: 'model-error', retryable: false });
    return { status: 'failed', text: '' };
  }
  if (step.delayMs && !(await abortableDelay(step.delayMs, signal)))
    return { status: 'interrupted', text: '' };
  if (step.exitCode !== undefined) {
    // A short pause first, so the events already emitted (turn-start) can leave the process.
    await abortableDelay(EXIT_PAUSE_MS);
    process.exit(step.exitCode);
  }

  const results = [...(await callTools(ctx, step)), ...(await runCommands(ctx, step))];
  if (signal.aborted) return { status: 'interrupted', text: '' };

  const text = typeof step.text === 'function' ? step.text(results) : (step.text ?? '');
  const deltas = splitText(text, step.deltas ?? DEFAULT_DELTAS);
  for (const [index, delta] of deltas.entries()) {
    if (index > 0 && step.deltaGapMs && !(await abortableDelay(step.deltaGapMs, signal)))
      return { status: 'interrupted', text: '' };
    emit({ type: 'text-delta', turnId, delta });
  }
  if (step.usage) {
    emit({
      type: 'usage',
      turnId,
      inputTokens: step.usage.inputTokens,
      cachedInputTokens: step.usage.cachedInputTokens ?? 0,
      outputTokens: step.usage.outputTokens,
      ...(step.usage.totalInputTokens === undefined ? {} : { totalInputTokens: step.usage.totalInputTokens }),
    });
  }
  if (step.error) {
    const { message, code = 'model-error', retryable = false } = step.error;
    emit({ type: 'error', turnId, message, code, retryable });
    return { status: 'failed', text };
  }
  return { status: 'completed', text };
}

async function callTools(ctx: TurnRunContext, step: MockStep): Promise<MockToolResult[]> {
  const results: MockToolResult[] = [];
  for (const [index, call] of (step.toolCalls ?? []).entries()) {
    if (ctx.signal.aborted) break;
    const callId = `${ctx.turnId}-call-${index + 1}`;
    const name = `${call.server}.${call.tool}`;
    const args = call.args ?? {};
    ctx.emit({ type: 'tool-call', turnId: ctx.turnId, callId, kind: 'mcp', name, input: args });
    const result = await ctx.pool.call(call.server, call.tool, args, ctx.signal);
    ctx.emit({
      type: 'tool-result',
      turnId: ctx.turnId,
      callId,
      name,
      output: result.text,
      isError: result.isError,
    });
    results.push({ name, output: result.text, isError: result.isError });
  }
  return results;
}

async function runCommands(ctx: TurnRunContext, step: MockStep): Promise<MockToolResult[]> {
  const results: MockToolResult[] = [];
  for (const [index, command] of (step.commands ?? []).entries()) {
    if (ctx.signal.aborted) break;
    const callId = `${ctx.turnId}-command-${index + 1}`;
    const name = typeof command === 'string' ? 'shell' : 'exec';
    ctx.emit({ type: 'tool-call', turnId: ctx.turnId, callId, kind: 'command', name, input: { command } });
    const result = await runCommand(command, ctx);
    ctx.emit({ type: 'tool-result', turnId: ctx.turnId, callId, name, ...result });
    results.push({ name, ...result });
  }
  return results;
}

/** A string runs with `/bin/sh -c`, an argv array without a shell. */
function runCommand(
  command: string | readonly string[],
  ctx: TurnRunContext,
): Promise<{ output: string; isError: boolean }> {
  const env = Object.fromEntries(
    Object.entries(ctx.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return new Promise((resolve) => {
    const [file, ...args] = typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
    execFile(file ?? '', args, { cwd: ctx.options.cwd, env, signal: ctx.signal }, (error, stdout, stderr) =>
      // A program that could not start printed nothing: its error says why.
      resolve({ output: `${stdout}${stderr}` || (error?.message ?? ''), isError: error !== null }),
    );
  });
}
