import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AgentEvent,
  type AgentProvider,
  type AgentSession,
  agentEventSchema,
  type SessionOptions,
} from '@nanoclaw/core';
import { expect, it } from 'vitest';
import { type ContractSuite, describeContract } from './contract-suite.js';
import { readEchoMcpLog, writeEchoMcpServer } from './echo-mcp-server.js';
import type { FakeImage } from './fake-images.js';
import { attachmentCases } from './provider-contract-attachments.js';

/** What the fake model answers to the turn whose user text contains the match. */
export type ContractReply =
  /** A final text. `delayMs` holds the answer back (the turn stays open: follow-up and interrupt cases). */
  | { text: string; usage?: { inputTokens: number; outputTokens: number }; delayMs?: number }
  /** A shell command through the runtime's own shell tool, then `text` once its result comes back. */
  | { command: string; text: string }
  /** An MCP tool call (`server` as named in `mcpServers`), then `text` once its result comes back. */
  | { mcp: { server: string; tool: string; arguments: Record<string, unknown> }; text: string }
  /** An HTTP error instead of an answer. */
  | { error: { status: number; message: string } };

/** One agent request the runtime sent to the fake model. */
export interface ContractRequest {
  /** The last user text of the request (what replies are matched on). */
  lastUserText: string;
  /** The whole request body, serialised: the conversation history the runtime sent. */
  body: string;
  /** The images the request carried inline (`imagesOf` its body), in order. */
  images: readonly FakeImage[];
}

/** The provider's fake model, seen through one small interface so every provider runs the same cases. */
export interface ContractModel {
  /** Every later turn whose user text contains `match` gets `reply`. */
  script(match: string, reply: ContractReply): void;
  /** Agent requests so far, in order (side requests such as title generation may be left out). */
  requests(): readonly ContractRequest[];
}

export interface ProviderContractHarness {
  provider: AgentProvider;
  model: ContractModel;
  /**
   * Options for a fresh session in this harness's world: `cwd` (a writable temp dir), `env` that points the
   * runtime at the fake model, `model`, ... The suite adds its own MCP server to `mcpServers`.
   */
  sessionOptions(): SessionOptions;
  /** Stops the fake model and removes the harness's files. */
  teardown(): Promise<void>;
}

export interface ProviderContractOptions {
  /** Shown in the suite's name, e.g. `codex`. */
  name: string;
  /** A fresh world per test. */
  setup(): Promise<ProviderContractHarness>;
  /** A well-formed continuation that names no session (default: a random UUID). */
  bogusContinuation?: () => string;
  /** Per-test timeout (default 60 s). */
  timeoutMs?: number;
}

const MCP_SERVER = 'contract';

/**
 * The contract every `AgentProvider` passes, against its real runtime and a loopback fake model: a streamed
 * text turn, a shell tool call that really runs, an MCP tool call, resume in a new session, an invalid
 * continuation, follow-ups pushed mid-turn, interrupt, attachments (images inline, other files named), a failing model request, usage, and close without
 * leaked processes. Call it at the top level of a test file.
 */
export function providerContract(options: ProviderContractOptions): void {
  describeContract(`provider contract: ${options.name}`, new ProviderSuite(options), [
    turnCases,
    continuationCases,
    followUpCases,
    attachmentCases,
    failureUsageAndCloseCases,
  ]);
}

/** The state of one `providerContract` suite (a fresh world per test) and how its cases start sessions. */
export class ProviderSuite implements ContractSuite {
  readonly options: ProviderContractOptions;
  readonly timeout: number;
  harness!: ProviderContractHarness;
  mcpDir = '';
  mcpLog = '';
  /** The cwd of the session started last. */
  lastCwd = '';
  readonly #sessions: AgentSession[] = [];

  constructor(options: ProviderContractOptions) {
    this.options = options;
    this.timeout = options.timeoutMs ?? 60_000;
  }

  async setUp(): Promise<void> {
    this.mcpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-provider-contract-'));
    this.mcpLog = path.join(this.mcpDir, 'mcp-calls.jsonl');
    this.harness = await this.options.setup();
  }

  async tearDown(): Promise<void> {
    for (const session of this.#sessions.splice(0)) await session.close();
    await this.harness.teardown();
    fs.rmSync(this.mcpDir, { recursive: true, force: true });
  }

  sessionOptions(extra: Partial<SessionOptions> = {}): SessionOptions {
    const base = this.harness.sessionOptions();
    const server = writeEchoMcpServer(this.mcpDir);
    return {
      ...base,
      mcpServers: {
        ...base.mcpServers,
        [MCP_SERVER]: {
          type: 'stdio',
          command: process.execPath,
          args: [server],
          env: { ECHO_MCP_LOG: this.mcpLog },
        },
      },
      ...extra,
    };
  }

  readonly start = async (extra: Partial<SessionOptions> = {}): Promise<AgentSession> => {
    const opts = this.sessionOptions(extra);
    this.lastCwd = opts.cwd;
    const session = await this.harness.provider.startSession(opts);
    this.#sessions.push(session);
    return session;
  };
}

/** A text turn, a shell command and an MCP tool call. */
function turnCases(suite: ProviderSuite): void {
  const { start, timeout } = suite;
  it(
    'streams a text turn: turn-start, text deltas that add up to the final text, turn-end completed',
    async () => {
      const { harness } = suite;
      harness.model.script('contract-hello', { text: 'Hello from the contract model.' });
      const session = await start();
      const events = await collect(session.prompt({ text: 'contract-hello' }));

      assertWellFormed(events);
      expect(events[0]?.type).toBe('turn-start');
      const deltas = ofType(events, 'text-delta');
      expect(deltas.length).toBeGreaterThan(0);
      expect(deltas.map((event) => event.delta).join('')).toBe('Hello from the contract model.');
      expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'Hello from the contract model.' }]);
      expect(session.continuation).toEqual(expect.any(String));
      expect(session.busy).toBe(false);
    },
    timeout,
  );

  it(
    'runs a shell command through the runtime: the file exists afterwards',
    async () => {
      const { harness } = suite;
      harness.model.script('contract-touch', {
        command: 'touch contract-made-by-tool.txt',
        text: 'File made.',
      });
      const session = await start();
      const events = await collect(session.prompt({ text: 'contract-touch' }));

      assertWellFormed(events);
      expect(fs.existsSync(path.join(suite.lastCwd, 'contract-made-by-tool.txt'))).toBe(true);
      const call = ofType(events, 'tool-call').find((event) => event.kind === 'command');
      expect(call, 'a tool-call event of kind command').toBeDefined();
      expect(ofType(events, 'tool-result').some((event) => event.callId === call?.callId)).toBe(true);
      expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'File made.' }]);
    },
    timeout,
  );

  it(
    'calls an MCP tool: the server gets the call and the result reaches the model',
    async () => {
      const { harness, mcpLog } = suite;
      harness.model.script('contract-mcp', {
        mcp: { server: MCP_SERVER, tool: 'echo', arguments: { text: 'ping' } },
        text: 'MCP done.',
      });
      const session = await start();
      const events = await collect(session.prompt({ text: 'contract-mcp' }));

      assertWellFormed(events);
      expect(readEchoMcpLog(mcpLog)).toEqual([{ name: 'echo', arguments: { text: 'ping' } }]);
      const call = ofType(events, 'tool-call').find((event) => event.kind === 'mcp');
      expect(call?.name).toContain('echo');
      const result = ofType(events, 'tool-result').find((event) => event.callId === call?.callId);
      expect(result?.output).toContain('echo:ping');
      expect(result?.isError).toBe(false);
      expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'MCP done.' }]);
      expect(harness.model.requests().some((request) => request.body.includes('echo:ping'))).toBe(true);
    },
    timeout,
  );
}

/** Resuming from a continuation, and refusing one that names no session. */
function continuationCases(suite: ProviderSuite): void {
  const { start, timeout } = suite;
  it(
    'resumes a closed session from its continuation: the model sees the earlier conversation',
    async () => {
      const { harness } = suite;
      harness.model.script('contract-remember', { text: 'Noted.' });
      harness.model.script('contract-recall', { text: 'The word was PAPAYA.' });
      const first = await start();
      await collect(first.prompt({ text: 'contract-remember: the secret word is PAPAYA' }));
      const continuation = first.continuation;
      expect(continuation).toEqual(expect.any(String));
      await first.close();

      const second = await start({ continuation });
      const events = await collect(second.prompt({ text: 'contract-recall' }));
      expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'The word was PAPAYA.' }]);
      const recall = harness.model
        .requests()
        .find((request) => request.lastUserText.includes('contract-recall'));
      expect(recall?.body).toContain('PAPAYA');
      expect(second.continuation).toBe(continuation);
    },
    timeout,
  );

  it(
    'rejects a continuation that names no session with an error isSessionInvalid recognises',
    async () => {
      const { harness } = suite;
      const bogus = suite.options.bogusContinuation?.() ?? randomUUID();
      const error = await start({ continuation: bogus }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, 'startSession rejected').toBeDefined();
      expect(harness.provider.isSessionInvalid(error)).toBe(true);
      expect(harness.provider.isSessionInvalid(new Error('ECONNREFUSED 127.0.0.1:9'))).toBe(false);
    },
    timeout,
  );
}

/** Follow-ups pushed mid-turn, and interrupt. */
function followUpCases(suite: ProviderSuite): void {
  const { start, timeout } = suite;
  it(
    'answers three follow-ups pushed during a long turn, in order, none dropped',
    async () => {
      const { harness } = suite;
      harness.model.script('contract-long', { text: 'Long answer.', delayMs: 1_500 });
      harness.model.script('contract-follow-1', { text: 'Answer one.' });
      harness.model.script('contract-follow-2', { text: 'Answer two.' });
      harness.model.script('contract-follow-3', { text: 'Answer three.' });
      const session = await start();
      const events: AgentEvent[] = [];
      const accepted: boolean[] = [];
      for await (const event of session.prompt({ text: 'contract-long' })) {
        events.push(event);
        if (event.type === 'turn-start' && accepted.length === 0) {
          for (const n of [1, 2, 3]) accepted.push(session.push({ text: `contract-follow-${n}` }));
        }
      }

      assertWellFormed(events);
      expect(accepted).toEqual([true, true, true]);
      expect(turnEnds(events)).toEqual(
        ['Long answer.', 'Answer one.', 'Answer two.', 'Answer three.'].map((text) => ({
          status: 'completed',
          text,
        })),
      );
      expect(session.busy).toBe(false);
      expect(session.push({ text: 'idle now' })).toBe(false);
    },
    timeout,
  );

  it(
    'interrupts a turn promptly (turn-end interrupted) and the next prompt still works',
    async () => {
      const { harness } = suite;
      harness.model.script('contract-slow', { text: 'Too late.', delayMs: 15_000 });
      harness.model.script('contract-after-interrupt', { text: 'Still here.' });
      const session = await start();
      const events: AgentEvent[] = [];
      let interruptedAt = 0;
      for await (const event of session.prompt({ text: 'contract-slow' })) {
        events.push(event);
        if (event.type === 'turn-start') {
          await waitFor(() => harness.model.requests().some((r) => r.lastUserText.includes('contract-slow')));
          interruptedAt = Date.now();
          await session.interrupt();
        }
      }
      const tookMs = Date.now() - interruptedAt;

      assertWellFormed(events);
      expect(turnEnds(events).map((end) => end.status)).toEqual(['interrupted']);
      expect(tookMs).toBeLessThan(10_000);
      const next = await collect(session.prompt({ text: 'contract-after-interrupt' }));
      expect(turnEnds(next)).toEqual([{ status: 'completed', text: 'Still here.' }]);
    },
    timeout,
  );
}

/** A failing model request, usage, and close without leaks. */
function failureUsageAndCloseCases(suite: ProviderSuite): void {
  const { start, timeout } = suite;
  it(
    'turns a failing model request into an error event and a failed turn; the next prompt works',
    async () => {
      const { harness } = suite;
      harness.model.script('contract-boom', { error: { status: 500, message: 'fake upstream failure' } });
      harness.model.script('contract-after-error', { text: 'Recovered.' });
      const session = await start();
      const events = await collect(session.prompt({ text: 'contract-boom' }));

      assertWellFormed(events);
      const errors = ofType(events, 'error');
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]?.message).not.toBe('');
      expect(turnEnds(events).map((end) => end.status)).toEqual(['failed']);
      const next = await collect(session.prompt({ text: 'contract-after-error' }));
      expect(turnEnds(next)).toEqual([{ status: 'completed', text: 'Recovered.' }]);
    },
    timeout,
  );

  it(
    'reports usage: the scripted token counts arrive as a usage event',
    async () => {
      const { harness } = suite;
      harness.model.script('contract-usage', {
        text: 'Counted.',
        usage: { inputTokens: 1234, outputTokens: 56 },
      });
      const session = await start();
      const events = await collect(session.prompt({ text: 'contract-usage' }));

      assertWellFormed(events);
      const usage = ofType(events, 'usage');
      expect(usage.length).toBeGreaterThan(0);
      expect(usage.some((event) => event.inputTokens + event.cachedInputTokens === 1234)).toBe(true);
      expect(usage.some((event) => event.outputTokens === 56)).toBe(true);
    },
    timeout,
  );

  it(
    'closes without leaks: every process it started is gone, and close() is idempotent',
    async () => {
      const { harness } = suite;
      const before = new Set(descendantPids(process.pid));
      harness.model.script('contract-close', { text: 'Bye.' });
      const session = await start();
      await collect(session.prompt({ text: 'contract-close' }));
      const started = descendantPids(process.pid).filter((pid) => !before.has(pid));
      await session.close();
      await session.close();

      await waitFor(() => started.every((pid) => !isAlive(pid)), 5_000);
      expect(started.filter(isAlive)).toEqual([]);
    },
    timeout,
  );
}

async function collect(stream: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

function ofType<T extends AgentEvent['type']>(
  events: AgentEvent[],
  type: T,
): Extract<AgentEvent, { type: T }>[] {
  return events.filter((event): event is Extract<AgentEvent, { type: T }> => event.type === type);
}

function turnEnds(events: AgentEvent[]): { status: string; text: string }[] {
  return ofType(events, 'turn-end').map((event) => ({ status: event.status, text: event.text }));
}

/** Every event matches the spec's schema, and each turn opens before its other events and closes once. */
function assertWellFormed(events: AgentEvent[]): void {
  const open = new Set<string>();
  const closed = new Set<string>();
  for (const event of events) {
    agentEventSchema.parse(event);
    if (event.type === 'turn-start') {
      expect(open.has(event.turnId) || closed.has(event.turnId), `turn ${event.turnId} starts once`).toBe(
        false,
      );
      open.add(event.turnId);
    } else if (event.type === 'turn-end') {
      expect(open.has(event.turnId), `turn ${event.turnId} ends after it started`).toBe(true);
      open.delete(event.turnId);
      closed.add(event.turnId);
    } else if ('turnId' in event && event.turnId !== undefined) {
      expect(open.has(event.turnId), `${event.type} belongs to an open turn`).toBe(true);
    }
  }
  expect([...open], 'every turn ends').toEqual([]);
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return;
    await sleep(20);
  }
}

/** Linux: every live descendant of `root`, read from /proc. */
function descendantPids(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      // The process ended while we looked.
    }
  }
  const result: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
