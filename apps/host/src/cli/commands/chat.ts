import readline from 'node:readline';
import type { Command } from 'commander';
import type { HostEvent } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeLine } from '../cli-io.js';
import type { EventStream, HostClient } from '../host-client.js';
import { createReplyWatcher, type ReplyWatcher } from '../reply-watcher.js';
import {
  contextOnlyNote,
  DEFAULT_REPLY_TIMEOUT_S,
  parseTimeout,
  type WaitResult,
  waitForReply,
} from './send.js';

interface ChatSession {
  context: CliContext;
  client: HostClient;
  folder: string;
  watcher: ReplyWatcher;
  stream: EventStream;
  timeoutMs: number;
  sender?: string;
  /** Ctrl-C: stop waiting now. */
  interrupt: AbortSignal;
}

export function registerChatCommand(program: Command, deps: CliDeps, context: CliContext): void {
  program
    .command('chat')
    .description(
      'chat with a group’s agent in the terminal (streams its answer; Ctrl-D quits, Ctrl-C stops at once)',
    )
    .requiredOption('--group <folder>', 'the group to chat with')
    .option(
      '--timeout <seconds>',
      `per message: give up waiting after this long (default ${DEFAULT_REPLY_TIMEOUT_S})`,
    )
    .option('--sender <name>', 'who the messages are from')
    .action(
      action(deps, context, async (options: { group: string; timeout?: string; sender?: string }) => {
        const timeoutMs = parseTimeout(options.timeout);
        const client = context.client();
        const watcher = createReplyWatcher({ holding: false });
        watcher.onOther((event) => showOther(context, event));
        const stream = await client.openEvents(options.group, (event) => watcher.handle(event));
        const interrupt = new AbortController();
        try {
          return await chatLoop(
            {
              context,
              client,
              folder: options.group,
              watcher,
              stream,
              timeoutMs,
              interrupt: interrupt.signal,
              ...(options.sender === undefined ? {} : { sender: options.sender }),
            },
            interrupt,
          );
        } finally {
          stream.close();
        }
      }),
    );
}

async function chatLoop(session: ChatSession, interrupt: AbortController): Promise<number> {
  const { context } = session;
  const terminal = (context.stdin as { isTTY?: boolean }).isTTY === true;
  const rl = readline.createInterface({
    input: context.stdin,
    ...(terminal ? { output: context.stdout as NodeJS.WritableStream, terminal: true } : { terminal: false }),
    prompt: 'you> ',
  });
  rl.on('SIGINT', () => {
    interrupt.abort();
    rl.close();
  });
  let hostGone = false;
  void session.stream.done.then(() => {
    hostGone = true;
    rl.close();
  });
  writeLine(context.stderr, `chatting with ${session.folder} on ${session.client.baseUrl} — Ctrl-D to quit`);
  if (terminal) rl.prompt();
  for await (const line of rl) {
    if (interrupt.signal.aborted || hostGone) break;
    const text = line.trim();
    if (text !== '') await exchange(session, text);
    if (interrupt.signal.aborted || hostGone) break;
    if (terminal) rl.prompt();
  }
  rl.close();
  if (interrupt.signal.aborted) return EXIT.interrupted;
  if (hostGone) throw new CliError('the host closed the connection (did it stop?)', EXIT.unavailable);
  return EXIT.ok;
}

/** One message and its answer: streamed deltas as they come, then the reply (unless the deltas were it). */
async function exchange(session: ChatSession, text: string): Promise<void> {
  const { context } = session;
  session.watcher.hold();
  const posted = await session.client
    .postMessage(session.folder, {
      text,
      ...(session.sender === undefined ? {} : { sender: session.sender }),
    })
    .catch((error: unknown) => {
      if (error instanceof CliError && error.exitCode === EXIT.unavailable) throw error;
      writeLine(context.stderr, `✗ ${(error as Error).message}`);
      return undefined;
    });
  if (!posted) return;
  if (!posted.willReply) {
    writeLine(context.stderr, contextOnlyNote(session.folder));
    return;
  }
  let streamed = '';
  const result = await waitForReply(session.watcher, session.stream, posted.messageId, session.timeoutMs, {
    signal: session.interrupt,
    onDelta: (delta) => {
      streamed += delta;
      context.stdout.write(delta);
    },
    onReply: (reply) => {
      if (streamed !== '' && reply.trim() === streamed.trim()) writeLine(context.stdout);
      else writeLine(context.stdout, `${streamed === '' ? '' : '\n'}${reply}`);
      streamed = '';
    },
  });
  if (streamed !== '') writeLine(context.stdout);
  reportProblem(session, result);
}

function reportProblem(session: ChatSession, result: WaitResult): void {
  const { stderr } = session.context;
  if (result.kind === 'error') writeLine(stderr, `✗ the agent failed: ${result.message}`);
  else if (result.kind === 'no-reply') writeLine(stderr, 'note: the agent finished without replying');
  else if (result.kind === 'aborted' && !session.interrupt.aborted) {
    writeLine(
      stderr,
      `note: no reply within ${session.timeoutMs / 1000} s; a late reply will still show here`,
    );
  }
}

function showOther(context: CliContext, event: HostEvent): void {
  if (event.type === 'reply') writeLine(context.stdout, `[${event.folder}] ${event.text}`);
  else if (event.type === 'error' && event.inReplyTo.length === 0)
    writeLine(context.stderr, `✗ ${event.message}`);
}
