import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentEvent, Logger, McpServerConfig } from '@nanoclaw/core';
import {
  createFakeChatCompletionsServer,
  type FakeChatCompletionsServer,
  type FakeChatStep,
  writeEchoMcpServer,
} from '@nanoclaw/testing';
import { createOpencodeProvider, type OpencodeProviderOptions } from './provider.js';

/** Temp dirs made by `tempDir`, removed by `cleanupTempDirs`. */
const dirs: string[] = [];

export function tempDir(prefix = 'nanoclaw-opencode-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** One test's world: its own HOME (XDG dirs under it), TMPDIR and working directory, and a fake model. */
export interface OpencodeTestWorld {
  fake: FakeChatCompletionsServer;
  root: string;
  cwd: string;
  home: string;
  /** The session env: `OPENAI_BASE_URL` = the fake, model `fake-model` (provider `nanoclaw`). */
  env: Record<string, string>;
  logs: LogLine[];
  logger: Logger;
}

export interface LogLine {
  level: string;
  message: string;
  bindings: Record<string, unknown>;
}

export async function createWorld(fake?: FakeChatCompletionsServer): Promise<OpencodeTestWorld> {
  const server = fake ?? (await createFakeChatCompletionsServer());
  const root = tempDir();
  const cwd = path.join(root, 'work');
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  for (const dir of [cwd, home, tmp]) fs.mkdirSync(dir, { recursive: true });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    OPENAI_BASE_URL: server.baseUrl,
    OPENCODE_MODEL: 'fake-model',
  };
  const logs: LogLine[] = [];
  return { fake: server, root, cwd, home, env, logs, logger: memoryLogger(logs) };
}

/** A provider for tests: no retries of failing model requests, so failures are immediate. */
export function testProvider(world: OpencodeTestWorld, options: OpencodeProviderOptions = {}) {
  return createOpencodeProvider({ maxRetries: 0, logger: world.logger, ...options });
}

export function memoryLogger(lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (first: string | Record<string, unknown>, message?: string): void => {
      if (typeof first === 'string') lines.push({ level, message: first, bindings });
      else lines.push({ level, message: message ?? '', bindings: { ...bindings, ...first } });
    };
  return {
    trace: () => {},
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => memoryLogger(lines, { ...bindings, ...more }),
  };
}

let echoScript: string | undefined;

/** The echo MCP server (from @nanoclaw/testing) as an `mcpServers` entry (tools: echo, fail, slow, env). */
export function echoServer(env: Record<string, string> = {}): McpServerConfig {
  echoScript ??= writeEchoMcpServer(tempDir('nanoclaw-echo-mcp-'));
  return { type: 'stdio', command: process.execPath, args: [echoScript], env };
}

export async function collect(stream: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

export function types(events: readonly AgentEvent[]): string[] {
  return events.map((event) => event.type);
}

export function ofType<T extends AgentEvent['type']>(
  events: readonly AgentEvent[],
  type: T,
): Extract<AgentEvent, { type: T }>[] {
  return events.filter((event): event is Extract<AgentEvent, { type: T }> => event.type === type);
}

export function turnEnds(events: readonly AgentEvent[]): { status: string; text: string }[] {
  return ofType(events, 'turn-end').map((event) => ({ status: event.status, text: event.text }));
}

export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `check` every 25 ms until it is true or `timeoutMs` passed; returns its last value. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

/** Env of a live process as a map (Linux /proc). */
export function processEnv(pid: number): Record<string, string> {
  const raw = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  const env: Record<string, string> = {};
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** Pids of the live descendants of `pid` (Linux /proc). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

/** A fake step running `command` through bash; the follow-up request gets `after`. */
export function commandStep(command: string, after: FakeChatStep): FakeChatStep {
  // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
  return { command, then: after };
}
