import fs from 'node:fs/promises';
import { errorMessage, INBOUND_MAX_TEXT_LENGTH } from '@nanoclaw/core';
import type { Command } from 'commander';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeLine } from '../cli-io.js';
import type { EventStream, HostClient } from '../host-client.js';
import {
  createReplyWatcher,
  describeRetry,
  type ReplyOutcome,
  type ReplyWatcher,
  type WaitHandlers,
} from '../reply-watcher.js';

export const DEFAULT_REPLY_TIMEOUT_S = 120;

interface SendOptions {
  group: string;
  wait?: boolean;
  timeout?: string;
  sender?: string;
  file?: string;
}

export function registerSendCommand(program: Command, deps: CliDeps, context: CliContext): void {
  program
    .command('send')
    .description('send a message to a group through the local channel (with --wait: print the reply)')
    .argument('[text...]', 'the message; `-` reads it from stdin')
    .requiredOption('--group <folder>', 'the group to write to')
    .option('--file <path>', 'read the message from this file')
    .option('--wait', 'wait for the agent’s reply and print it')
    .option(
      '--timeout <seconds>',
      `with --wait: give up after this long (default ${DEFAULT_REPLY_TIMEOUT_S})`,
    )
    .option('--sender <name>', 'who the message is from')
    .action(
      action(deps, context, async (words: string[], options: SendOptions) => {
        const text = await messageText(context, words, options.file);
        const input = { text, ...(options.sender === undefined ? {} : { sender: options.sender }) };
        const client = context.client();
        if (!options.wait) {
          const posted = await client.postMessage(options.group, input);
          writeLine(context.stdout, posted.messageId);
          if (!posted.willReply) writeLine(context.stderr, posted.note ?? contextOnlyNote(options.group));
          return EXIT.ok;
        }
        return sendAndWait(context, client, options.group, input, parseTimeout(options.timeout));
      }),
    );
}

async function sendAndWait(
  context: CliContext,
  client: HostClient,
  folder: string,
  input: { text: string; sender?: string },
  timeoutMs: number,
): Promise<number> {
  const watcher = createReplyWatcher();
  // Subscribe first: a fast reply can arrive before the POST answers.
  const stream = await client.openEvents(folder, (event) => watcher.handle(event));
  try {
    const posted = await client.postMessage(folder, input);
    if (!posted.willReply) {
      writeLine(context.stderr, posted.note ?? contextOnlyNote(folder));
      return EXIT.ok;
    }
    const outcome = await waitForReply(watcher, stream, posted.messageId, timeoutMs, {
      onRetry: (retry) => writeLine(context.stderr, describeRetry(retry)),
    });
    return reportOutcome(context, outcome, { messageId: posted.messageId, timeoutMs });
  } finally {
    stream.close();
  }
}

export type WaitResult = ReplyOutcome | { kind: 'closed' };

/** Waits for the answer to a message, a timeout, or the host closing the stream, whichever is first. */
export async function waitForReply(
  watcher: ReplyWatcher,
  stream: EventStream,
  messageId: string,
  timeoutMs: number,
  handlers: Omit<WaitHandlers, 'signal'> & { signal?: AbortSignal } = {},
): Promise<WaitResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const onOuterAbort = () => controller.abort();
  handlers.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const closed = stream.done.then((): WaitResult => ({ kind: 'closed' }));
    return await Promise.race([watcher.wait(messageId, { ...handlers, signal: controller.signal }), closed]);
  } finally {
    clearTimeout(timer);
    handlers.signal?.removeEventListener('abort', onOuterAbort);
    controller.abort();
  }
}

function reportOutcome(
  context: CliContext,
  outcome: WaitResult,
  details: { messageId: string; timeoutMs: number },
): number {
  switch (outcome.kind) {
    case 'reply':
      writeLine(context.stdout, outcome.texts.join('\n\n'));
      return EXIT.ok;
    case 'no-reply':
      writeLine(context.stderr, 'note: the agent finished without replying');
      return EXIT.ok;
    case 'error':
      throw new CliError(`the agent failed: ${outcome.message}`, EXIT.failure);
    case 'closed':
      throw new CliError(
        'the host closed the event stream before the reply came (did it stop?)',
        EXIT.unavailable,
      );
    case 'aborted':
      throw new CliError(
        `no reply within ${details.timeoutMs / 1000} s (message ${details.messageId} is stored; a late reply still goes to the group)`,
        EXIT.timeout,
      );
  }
}

/** The message from the words, `--file <path>` or stdin (`-`): exactly one of them, within the API's limit. */
async function messageText(context: CliContext, words: string[], file: string | undefined): Promise<string> {
  const fromStdin = words.length === 1 && words[0] === '-';
  if ((words.length > 0 ? 1 : 0) + (file === undefined ? 0 : 1) !== 1) {
    throw new CliError(
      'give the message as words, as `--file <path>`, or as `-` to read it from stdin (exactly one)',
      EXIT.usage,
    );
  }
  const source = file !== undefined ? `file ${file}` : fromStdin ? 'message on stdin' : 'message';
  const raw =
    file !== undefined ? await readFile(file) : fromStdin ? await readAll(context.stdin) : words.join(' ');
  // As the shell's `$(cat file)`: the file's final line break is not part of the message.
  const text = file !== undefined || fromStdin ? raw.replace(/(\r?\n)+$/, '') : raw;
  if (text.trim() === '') throw new CliError(`the ${source} is empty: nothing to send`, EXIT.usage);
  if (text.length > INBOUND_MAX_TEXT_LENGTH) {
    throw new CliError(
      `the ${source} is ${text.length.toLocaleString('en-US')} characters; a message may be at most ${INBOUND_MAX_TEXT_LENGTH.toLocaleString('en-US')} (split it into several)`,
      EXIT.usage,
    );
  }
  return text;
}

async function readFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : errorMessage(error);
    throw new CliError(`cannot read --file ${file}: ${why}`, EXIT.usage);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export function contextOnlyNote(folder: string): string {
  return `note: stored as context only, no reply will come (the message did not trigger ${folder}'s agent: mention its trigger word)`;
}

export function parseTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_REPLY_TIMEOUT_S * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new CliError(`--timeout must be a positive number of seconds (got "${value}")`, EXIT.usage);
  }
  return Math.round(seconds * 1000);
}
