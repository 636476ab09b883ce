import type { Command } from 'commander';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeLine } from '../cli-io.js';
import type { EventStream, HostClient } from '../host-client.js';
import {
  createReplyWatcher,
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
}

export function registerSendCommand(program: Command, deps: CliDeps, context: CliContext): void {
  program
    .command('send')
    .description('send a message to a group through the local channel (with --wait: print the reply)')
    .argument('<text...>', 'the message')
    .requiredOption('--group <folder>', 'the group to write to')
    .option('--wait', 'wait for the agent’s reply and print it')
    .option(
      '--timeout <seconds>',
      `with --wait: give up after this long (default ${DEFAULT_REPLY_TIMEOUT_S})`,
    )
    .option('--sender <name>', 'who the message is from')
    .action(
      action(deps, context, async (words: string[], options: SendOptions) => {
        const text = words.join(' ');
        const input = { text, ...(options.sender === undefined ? {} : { sender: options.sender }) };
        const client = context.client();
        if (!options.wait) {
          const posted = await client.postMessage(options.group, input);
          writeLine(context.stdout, posted.messageId);
          if (!posted.willReply) writeLine(context.stderr, contextOnlyNote(options.group));
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
      writeLine(context.stderr, contextOnlyNote(folder));
      return EXIT.ok;
    }
    const outcome = await waitForReply(watcher, stream, posted.messageId, timeoutMs);
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
