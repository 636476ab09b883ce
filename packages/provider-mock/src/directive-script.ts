import type { TurnInput } from '@nanoclaw/core';
import { attachmentReport } from './attachment-report.js';
import { messagesOfHostPrompt } from './host-prompt.js';
import type { MockReplyFn, MockStep, MockToolCall, MockToolResult, MockTurnContext } from './types.js';

/** A parsed chat text: the directives it carries and the plain lines left over. */
export interface ParsedDirectives {
  toolCalls: MockToolCall[];
  sleepMs: number;
  /** `/stream <deltas> <ms>`: the reply in that many deltas, that long apart. */
  stream?: { deltas: number; gapMs: number };
  fail?: string;
  usage?: { inputTokens: number; outputTokens: number };
  echoEnv: string[];
  /** `/exec` argv lists, run without a shell. */
  commands: string[][];
  crash: boolean;
  /** `/attachments`: report the turn's attachments (and their files' sha256). */
  attachments: boolean;
  /** The non-directive lines, trimmed and joined by newlines. */
  text: string;
}

type DirectiveHandler = (argument: string, parsed: ParsedDirectives) => string | undefined;

const NON_NEGATIVE_INT = /^\d+$/;

/** Each handler returns an error message when its argument is malformed. */
const DIRECTIVES: Record<string, DirectiveHandler> = {
  tool: (argument, parsed) => {
    const match = /^([A-Za-z0-9_-]+)\.(\S+)(?:\s+([\s\S]*))?$/.exec(argument);
    if (!match) return 'expected /tool <server>.<tool> <json args>';
    const args = parseArgs(match[3]);
    if (typeof args === 'string') return args;
    parsed.toolCalls.push({ server: match[1]!, tool: match[2]!, args });
    return undefined;
  },
  sleep: (argument, parsed) => {
    if (!NON_NEGATIVE_INT.test(argument)) return 'expected /sleep <ms>';
    parsed.sleepMs += Number(argument);
    return undefined;
  },
  stream: (argument, parsed) => {
    const [deltas, gapMs, extra] = argument.split(/\s+/);
    if (!deltas || !gapMs || extra || !/^[1-9]\d*$/.test(deltas) || !NON_NEGATIVE_INT.test(gapMs)) {
      return 'expected /stream <deltas> <ms between them>';
    }
    parsed.stream = { deltas: Number(deltas), gapMs: Number(gapMs) };
    return undefined;
  },
  fail: (argument, parsed) => {
    parsed.fail = argument || 'mock failure';
    return undefined;
  },
  usage: (argument, parsed) => {
    const [input, output, extra] = argument.split(/\s+/);
    if (!input || !output || extra || !NON_NEGATIVE_INT.test(input) || !NON_NEGATIVE_INT.test(output)) {
      return 'expected /usage <input tokens> <output tokens>';
    }
    parsed.usage = { inputTokens: Number(input), outputTokens: Number(output) };
    return undefined;
  },
  'echo-env': (argument, parsed) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(argument)) return 'expected /echo-env <NAME>';
    parsed.echoEnv.push(argument);
    return undefined;
  },
  exec: (argument, parsed) => {
    const argv = parseArgv(argument);
    if (!argv) return 'expected /exec ["program", "arg", ...] (a JSON array of strings)';
    parsed.commands.push(argv);
    return undefined;
  },
  crash: (_argument, parsed) => {
    parsed.crash = true;
    return undefined;
  },
  attachments: (_argument, parsed) => {
    parsed.attachments = true;
    return undefined;
  },
};

/** Splits a chat text into directives and plain text; a malformed directive yields its error message. */
export function parseDirectives(text: string): ParsedDirectives | { error: string } {
  const parsed: ParsedDirectives = {
    toolCalls: [],
    sleepMs: 0,
    echoEnv: [],
    commands: [],
    crash: false,
    attachments: false,
    text: '',
  };
  const plain: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*\/([a-z-]+)(?:\s+(.*))?$/.exec(line);
    const handler = match ? DIRECTIVES[match[1]!] : undefined;
    if (!match || !handler) {
      if (line.trim()) plain.push(line.trim());
      continue;
    }
    const error = handler((match[2] ?? '').trim(), parsed);
    if (error) return { error: `bad directive "${line.trim()}": ${error}` };
  }
  parsed.text = plain.join('\n');
  return parsed;
}

/** The built-in script: steers the mock from the chat text (see the README's directive table). */
export const directiveScript: MockReplyFn = (input: TurnInput, ctx: MockTurnContext): MockStep => {
  const parsed = parseDirectives(messagesOfHostPrompt(input.text));
  if ('error' in parsed)
    return { error: { message: parsed.error, code: 'mock-directive', retryable: false } };
  return {
    delayMs: parsed.sleepMs || undefined,
    ...(parsed.stream ? { deltas: parsed.stream.deltas, deltaGapMs: parsed.stream.gapMs } : {}),
    exitCode: parsed.crash ? 1 : undefined,
    toolCalls: parsed.toolCalls,
    commands: parsed.commands,
    usage: parsed.usage,
    error:
      parsed.fail === undefined ? undefined : { message: parsed.fail, code: 'model-error', retryable: false },
    text: (results) => replyText(parsed, results, ctx, input),
  };
};

function replyText(
  parsed: ParsedDirectives,
  results: readonly MockToolResult[],
  ctx: MockTurnContext,
  input: TurnInput,
): string {
  const original = messagesOfHostPrompt(input.text);
  const lines = [
    ...results.map((r) => `${r.name}${r.isError ? ' failed' : ''}: ${r.output}`),
    ...parsed.echoEnv.map((name) => ctx.env[name] ?? '(unset)'),
    ...(parsed.attachments ? attachmentReport(input, ctx.options.cwd) : []),
  ];
  if (parsed.text) lines.push(`Mock reply to: ${parsed.text}`);
  if (lines.length === 0 && parsed.fail === undefined) lines.push(`Mock reply to: ${original.trim()}`);
  return lines.join('\n');
}

function parseArgs(source: string | undefined): Record<string, unknown> | string {
  if (!source?.trim()) return {};
  try {
    const value: unknown = JSON.parse(source);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  return 'the tool arguments must be a JSON object';
}

function parseArgv(source: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(source);
    if (Array.isArray(value) && value.every((a) => typeof a === 'string') && value[0]) {
      return value as string[];
    }
  } catch {
    // reported by the caller
  }
  return undefined;
}
