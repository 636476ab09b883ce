import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AgentAction, AgentActionResult, AgentEvent } from '@nanoclaw/core';
import {
  createMessageConnection,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node.js';

export const DIST_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface Notification {
  method: string;
  params: Record<string, unknown>;
  at: number;
}

/** A test host: spawns the runner and speaks the protocol to it, recording every notification. */
export interface TestHost {
  child: ChildProcessWithoutNullStreams;
  connection: MessageConnection;
  notifications: Notification[];
  actions: AgentAction[];
  stderr: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  waitFor(method: string, predicate?: (params: Record<string, unknown>) => boolean): Promise<Notification>;
  startSession(params?: Record<string, unknown>): Promise<{ continuation?: string; resumed: boolean }>;
  /** Starts a run and resolves with its events once `run/end` arrives. */
  run(runId: string, text: string): Promise<{ events: AgentEvent[]; end: Record<string, unknown> }>;
  eventsOf(runId: string): AgentEvent[];
  dispose(): Promise<void>;
}

export interface TestHostOptions {
  main?: string;
  env?: Record<string, string>;
  /** Answers `agent/action` (default: `{ ok: true, result: { done: <tool> } }`). */
  onAction?: (action: AgentAction) => AgentActionResult | Promise<AgentActionResult>;
  cwd?: string;
}

export function sessionParams(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { protocolVersion: 1, provider: 'mock', cwd: process.cwd(), turnTimeoutMs: 30_000, ...overrides };
}

export function spawnRunner(options: TestHostOptions = {}): TestHost {
  const child = spawn(process.execPath, [options.main ?? DIST_MAIN], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const notifications: Notification[] = [];
  const waiters = new Set<() => void>();
  const actions: AgentAction[] = [];
  connection.onNotification((method, params) => {
    notifications.push({ method, params: (params ?? {}) as Record<string, unknown>, at: Date.now() });
    for (const wake of waiters) wake();
  });
  connection.onRequest('agent/action', async (action: AgentAction) => {
    actions.push(action);
    return options.onAction ? options.onAction(action) : { ok: true, result: { done: action.tool } };
  });
  connection.onError(() => undefined);
  // vscode-jsonrpc leaves pending requests pending when the stream closes; disposing rejects them.
  connection.onClose(() => connection.dispose());
  connection.listen();

  const waitFor: TestHost['waitFor'] = (method, predicate = () => true) =>
    new Promise((resolve) => {
      const check = () => {
        const found = notifications.find((n) => n.method === method && predicate(n.params));
        if (!found) return false;
        waiters.delete(check);
        resolve(found);
        return true;
      };
      if (!check()) waiters.add(check);
    });

  const eventsOf = (runId: string) =>
    notifications
      .filter((n) => n.method === 'run/event' && n.params.runId === runId)
      .map((n) => n.params.event as AgentEvent);

  return {
    child,
    connection,
    notifications,
    actions,
    stderr: () => stderr,
    exited,
    waitFor,
    startSession: (params) => connection.sendRequest('session/start', params ?? sessionParams()),
    async run(runId, text) {
      await connection.sendRequest('run/start', { runId, input: { text } });
      const end = await waitFor('run/end', (p) => p.runId === runId);
      return { events: eventsOf(runId), end: end.params };
    },
    eventsOf,
    async dispose() {
      connection.dispose();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export function eventTypes(events: readonly AgentEvent[]): string[] {
  return events.map((event) => event.type);
}
