/**
 * Smoke test: the REAL Codex app-server (0.169.0, native binary) against the fake Responses API, offline.
 * The binary is resolved through the sibling workspace package @nanoclaw/provider-codex (which depends on
 * @openai/codex), so this package needs no dependency on it; skipped when it cannot be resolved.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeResponsesServer } from './fake-responses-server.js';
import type { FakeResponsesServer } from './fake-responses-types.js';

const TARGETS: Record<string, [pkg: string, triple: string]> = {
  'linux-x64': ['@openai/codex-linux-x64', 'x86_64-unknown-linux-musl'],
  'linux-arm64': ['@openai/codex-linux-arm64', 'aarch64-unknown-linux-musl'],
  'darwin-x64': ['@openai/codex-darwin-x64', 'x86_64-apple-darwin'],
  'darwin-arm64': ['@openai/codex-darwin-arm64', 'aarch64-apple-darwin'],
};

/** `.../@openai/codex-<platform>/vendor/<triple>/bin/codex`, resolved from packages/provider-codex. */
function resolveCodexBinary(): string | undefined {
  const target = TARGETS[`${process.platform}-${process.arch}`];
  if (!target) return undefined;
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const fromProvider = createRequire(path.resolve(here, '../../provider-codex/package.json'));
    const codexPkg = fromProvider.resolve('@openai/codex/package.json');
    const platformPkg = createRequire(codexPkg).resolve(`${target[0]}/package.json`);
    const binary = path.join(path.dirname(platformPkg), 'vendor', target[1], 'bin', 'codex');
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

interface RpcMessage {
  id?: number | string;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string };
}

/** Newline-delimited JSON-RPC over the app-server's stdio (no Content-Length framing). */
function rpcClient(child: ChildProcessWithoutNullStreams) {
  let nextId = 1;
  const pending = new Map<number | string, (msg: RpcMessage) => void>();
  const notifications: RpcMessage[] = [];
  let onNotification = () => {};
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg: RpcMessage;
    try {
      msg = JSON.parse(line) as RpcMessage;
    } catch {
      return;
    }
    if (msg.id !== undefined && msg.method !== undefined) {
      // A server→client request (ids start at 0): none expected under approvalPolicy "never".
      child.stdin.write(
        `${JSON.stringify({ id: msg.id, error: { code: -32601, message: 'not supported' } })}\n`,
      );
    } else if (msg.id !== undefined) {
      pending.get(msg.id)?.(msg);
      pending.delete(msg.id);
    } else if (msg.method !== undefined) {
      notifications.push(msg);
      onNotification();
    }
  });
  return {
    notifications,
    request(method: string, params: unknown): Promise<Record<string, unknown>> {
      const id = nextId++;
      child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
      return new Promise((resolve, reject) => {
        pending.set(id, (msg) =>
          msg.error
            ? reject(new Error(`${method}: ${msg.error.message}`))
            : resolve(msg.result as Record<string, unknown>),
        );
      });
    },
    notify(method: string, params?: unknown) {
      child.stdin.write(`${JSON.stringify(params === undefined ? { method } : { method, params })}\n`);
    },
    /** Resolves with the first notification (from `from` on) that satisfies `test`. */
    waitFor(test: (msg: RpcMessage) => boolean, from = 0, timeoutMs = 20_000): Promise<RpcMessage> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a notification')), timeoutMs);
        const check = () => {
          const found = notifications.slice(from).find(test);
          if (!found) return;
          clearTimeout(timer);
          onNotification = () => {};
          resolve(found);
        };
        onNotification = check;
        check();
      });
    },
  };
}

const codexBinary = resolveCodexBinary();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!codexBinary)('fake Responses server with the real Codex app-server', () => {
  it('runs a text turn, an exec_command round trip, an apply_patch and a compaction offline', async () => {
    const server: FakeResponsesServer = await createFakeResponsesServer({
      compactionSummary: 'The user said hello.',
    });
    cleanups.push(() => server.close());
    const scratch = await mkdtemp(path.join(tmpdir(), 'nanoclaw-codex-smoke-'));
    cleanups.push(() => rm(scratch, { recursive: true, force: true }));
    const codexHome = path.join(scratch, 'codex-home');
    const home = path.join(scratch, 'home');
    const workdir = path.join(scratch, 'work');
    await Promise.all([mkdir(codexHome), mkdir(home), mkdir(workdir)]);
    await writeFile(
      path.join(codexHome, 'config.toml'),
      [
        'model = "fake-model"',
        'model_provider = "fake"',
        'approval_policy = "never"',
        'sandbox_mode = "danger-full-access"',
        'check_for_update_on_startup = false',
        'web_search = "disabled"',
        'analytics = { enabled = false }',
        'feedback = { enabled = false }',
        'features = { plugins = false, remote_plugin = false, apps = false, tool_suggest = false, skill_mcp_dependency_install = false, in_app_updates = false }',
        'otel = { exporter = "none", trace_exporter = "none", metrics_exporter = "none" }',
        '[model_providers.fake]',
        'name = "fake"',
        `base_url = "${server.baseUrl}"`,
        'wire_api = "responses"',
        'requires_openai_auth = false',
        'request_max_retries = 0',
        'stream_max_retries = 0',
        'stream_idle_timeout_ms = 20000',
        '',
      ].join('\n'),
    );

    // Env from scratch: no host proxy or API key can leak in.
    const child = spawn(codexBinary!, ['app-server'], {
      cwd: workdir,
      env: { CODEX_HOME: codexHome, HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', RUST_LOG: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    cleanups.push(async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    });
    const rpc = rpcClient(child);

    await rpc.request('initialize', {
      clientInfo: { name: 'nanoclaw-test', title: null, version: '0.0.1' },
      capabilities: { experimentalApi: true },
    });
    rpc.notify('initialized');
    const started = await rpc.request('thread/start', {
      cwd: workdir,
      approvalPolicy: 'never',
      sandbox: 'danger-full-access',
    });
    const threadId = (started.thread as { id: string }).id;

    const runTurn = async (text: string) => {
      const from = rpc.notifications.length;
      const res = await rpc.request('turn/start', {
        threadId,
        input: [{ type: 'text', text, text_elements: [] }],
      });
      const turnId = (res.turn as { id: string }).id;
      const done = await rpc.waitFor(
        (m) =>
          m.method === 'turn/completed' && (m.params?.turn as { id?: string } | undefined)?.id === turnId,
        from,
      );
      return { done, notes: rpc.notifications.slice(from) };
    };
    const ofMethod = (notes: RpcMessage[], method: string) => notes.filter((m) => m.method === method);
    const completedItems = (notes: RpcMessage[]) =>
      ofMethod(notes, 'item/completed').map((m) => m.params?.item as Record<string, unknown>);

    // 1. Text turn: deltas and scripted usage come through.
    server.on('Say hello', {
      text: 'Hello from the fake model.',
      deltas: 3,
      usage: { inputTokens: 1234, outputTokens: 56, cachedInputTokens: 200 },
    });
    const text = await runTurn('Say hello');
    expect(text.done.params?.turn, stderr).toMatchObject({ status: 'completed' });
    const deltas = ofMethod(text.notes, 'item/agentMessage/delta').map((m) => m.params?.delta);
    expect(deltas).toHaveLength(3);
    expect(deltas.join('')).toBe('Hello from the fake model.');
    expect(completedItems(text.notes)).toContainEqual(
      expect.objectContaining({ type: 'agentMessage', text: 'Hello from the fake model.' }),
    );
    const usage = ofMethod(text.notes, 'thread/tokenUsage/updated').at(-1)?.params?.tokenUsage as {
      total: Record<string, number>;
    };
    expect(usage.total).toMatchObject({ inputTokens: 1234, cachedInputTokens: 200, outputTokens: 56 });
    const first = server.requests[0]!;
    expect(first).toMatchObject({ kind: 'turn', lastUserText: 'Say hello', path: '/v1/responses' });
    expect(first.headers['session-id']).toBe(threadId);
    expect(JSON.parse(first.headers['x-codex-turn-metadata'] ?? '{}')).toMatchObject({
      request_kind: 'turn',
    });
    expect(first.body).toMatchObject({ model: 'fake-model', stream: true, prompt_cache_key: threadId });

    // 2. exec_command round trip: the command really runs, the follow-up gets the final text.
    server.on('Make a file', { exec: 'echo hi > out.txt && echo done', text: 'File written.' });
    const before = server.requests.length;
    const exec = await runTurn('Make a file');
    expect(exec.done.params?.turn, stderr).toMatchObject({ status: 'completed' });
    expect(await readFile(path.join(workdir, 'out.txt'), 'utf8')).toBe('hi\n');
    expect(completedItems(exec.notes)).toContainEqual(
      expect.objectContaining({ type: 'commandExecution', status: 'completed', exitCode: 0 }),
    );
    expect(completedItems(exec.notes)).toContainEqual(
      expect.objectContaining({ type: 'agentMessage', text: 'File written.' }),
    );
    const execRequests = server.requests.slice(before);
    expect(execRequests.map((r) => r.answer?.source)).toEqual(['keyed', 'follow-up']);
    const callId = execRequests[0]!.answer?.call?.callId;
    const followInput = (execRequests[1]!.body as { input: Record<string, unknown>[] }).input;
    expect(followInput.at(-1)).toMatchObject({ type: 'function_call_output', call_id: callId });
    expect(String(followInput.at(-1)?.output)).toContain('done');
    expect(server.toolResults().at(-1)).toMatchObject({
      callId,
      name: 'exec_command',
      exitCode: 0,
      commandOutput: 'done\n',
    });

    // 2b. apply_patch through exec_command: Codex applies the patch itself and reports a file change.
    server.on('Patch the file', {
      applyPatch: '*** Begin Patch\n*** Update File: out.txt\n@@\n-hi\n+patched\n*** End Patch',
      text: 'Patched.',
    });
    const patched = await runTurn('Patch the file');
    expect(patched.done.params?.turn, stderr).toMatchObject({ status: 'completed' });
    expect(await readFile(path.join(workdir, 'out.txt'), 'utf8')).toBe('patched\n');
    expect(completedItems(patched.notes)).toContainEqual(
      expect.objectContaining({ type: 'fileChange', status: 'completed' }),
    );
    expect(server.toolResults().at(-1)).toMatchObject({
      exitCode: 0,
      commandOutput: 'Success. Updated the following files:\nM out.txt\n',
    });

    // 3. Manual compaction: answered automatically with the summary.
    const compactFrom = rpc.notifications.length;
    const compactRequests = server.requests.length;
    await rpc.request('thread/compact/start', { threadId });
    await rpc.waitFor((m) => m.method === 'turn/completed', compactFrom);
    expect(completedItems(rpc.notifications.slice(compactFrom))).toContainEqual(
      expect.objectContaining({ type: 'contextCompaction' }),
    );
    const compaction = server.requests.slice(compactRequests);
    expect(compaction.map((r) => r.kind)).toEqual(['compaction']);
    expect(compaction[0]!.lastUserText).toMatch(/^You are performing a CONTEXT CHECKPOINT COMPACTION/);
    expect(server.requests.every((r) => r.path === '/v1/responses')).toBe(true);
  }, 60_000);
});
