import readline from 'node:readline';
import { Writable } from 'node:stream';
import { errorMessage } from '@nanoclaw/core';
import type { Command } from 'commander';
import type { HostEvent } from '../../host-api.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, type TextSink, writeLine } from '../cli-io.js';
import type { EventStream, HostClient } from '../host-client.js';
import { createReplyWatcher, describeRetry, type ReplyWatcher } from '../reply-watcher.js';
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
  screen: ChatScreen;
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
        const screen = createChatScreen();
        watcher.onOther((event) => showOther(context, screen, event));
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
              screen,
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
    ...(terminal ? { output: asWritable(context.stdout), terminal: true } : { terminal: false }),
    prompt: 'you> ',
  });
  const prompt = () => {
    if (terminal) session.screen.showPrompt(rl);
  };
  rl.on('SIGINT', () => {
    interrupt.abort();
    rl.close();
  });
  let hostGone = false;
  // The stream ended or broke: either way the host is gone for this chat.
  const onHostGone = () => {
    hostGone = true;
    rl.close();
  };
  session.stream.done.then(onHostGone, onHostGone);
  writeLine(context.stderr, `chatting with ${session.folder} on ${session.client.baseUrl} — Ctrl-D to quit`);
  prompt();
  for await (const line of rl) {
    session.screen.hidePrompt();
    if (interrupt.signal.aborted || hostGone) break;
    const text = line.trim();
    if (text !== '') await exchange(session, text);
    if (interrupt.signal.aborted || hostGone) break;
    prompt();
  }
  session.screen.hidePrompt();
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
      writeLine(context.stderr, `✗ ${errorMessage(error)}`);
      return undefined;
    });
  if (!posted) return;
  if (!posted.willReply) {
    writeLine(context.stderr, contextOnlyNote(session.folder));
    return;
  }
  let streamed = '';
  // The parts of a long reply, kept until the last one so the whole can be compared with what streamed.
  let parts: string[] = [];
  const result = await waitForReply(session.watcher, session.stream, posted.messageId, session.timeoutMs, {
    signal: session.interrupt,
    onDelta: (delta) => {
      streamed += delta;
      context.stdout.write(delta);
    },
    onRetry: (retry) => {
      if (streamed !== '') writeLine(context.stdout);
      streamed = '';
      writeLine(context.stderr, describeRetry(retry));
    },
    onReply: (reply, part) => {
      parts.push(reply);
      if (part && part.index < part.count) return;
      const whole = parts.join('\n');
      parts = [];
      if (streamed !== '' && sameText(whole, streamed)) writeLine(context.stdout);
      else writeLine(context.stdout, `${streamed === '' ? '' : '\n'}${whole}`);
      streamed = '';
    },
  });
  if (parts.length > 0) writeLine(context.stdout, `${streamed === '' ? '' : '\n'}${parts.join('\n')}`);
  else if (streamed !== '') writeLine(context.stdout);
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

function showOther(context: CliContext, screen: ChatScreen, event: HostEvent): void {
  if (event.type === 'reply') screen.print(context.stdout, `[${event.folder}] ${event.text}`);
  else if (event.type === 'error' && event.inReplyTo.length === 0)
    screen.print(context.stderr, `✗ ${event.message}`);
}

/** The same words, whatever the whitespace (a split reply's parts are joined by a line break where they were cut). */
function sameText(a: string, b: string): boolean {
  const words = (text: string) => text.replace(/\s+/g, ' ').trim();
  return words(a) === words(b);
}

/**
 * The terminal while the prompt may be on it. A line printed while the prompt is shown (a reply from another
 * chat, a late reply) goes above it, and the prompt is redrawn with what the user typed so far.
 */
export interface ChatScreen {
  showPrompt(rl: readline.Interface): void;
  hidePrompt(): void;
  print(sink: TextSink, line: string): void;
}

export function createChatScreen(): ChatScreen {
  let shown: readline.Interface | undefined;
  return {
    showPrompt(rl) {
      shown = rl;
      rl.prompt();
    },
    hidePrompt() {
      shown = undefined;
    },
    print(sink, line) {
      const rl = shown;
      const output = (rl as { output?: NodeJS.WritableStream } | undefined)?.output;
      if (!rl || !output) {
        writeLine(sink, line);
        return;
      }
      // To the start of the prompt (it may wrap over several rows), clear it and everything below, print.
      readline.moveCursor(output, 0, -rl.getCursorPos().rows);
      readline.cursorTo(output, 0);
      readline.clearScreenDown(output);
      writeLine(sink, line);
      // readline redraws from `prevRows` rows above the cursor (where its last redraw left the prompt's first
      // row); the cursor now starts a fresh row under the printed line, so that is 0.
      (rl as unknown as { prevRows: number }).prevRows = 0;
      rl.prompt(true);
    },
  };
}

/** readline writes to a stream; a plain sink (a test's collector) is wrapped as one. */
function asWritable(sink: TextSink): NodeJS.WritableStream {
  if (typeof (sink as { on?: unknown }).on === 'function') return sink as NodeJS.WritableStream;
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      sink.write(String(chunk));
      done();
    },
  });
}
