/**
 * The HTTP plumbing the loopback fake model servers share (fake-responses-server.ts, fake-anthropic-server.ts,
 * fake-chat-completions-server.ts): the server's lifecycle with in-flight aborts, the request log with its
 * waiters, choosing a scripted step (tool follow-up → keyed `on()` reply → script → fallback), JSON and SSE
 * writing, and small helpers. Internal: not exported from the package. node:http only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// --- server lifecycle ----------------------------------------------------------------------------------------

/** A request as read off the wire: the body is the raw text, `path` has no query. */
export interface IncomingFakeRequest {
  method: string;
  path: string;
  /** What follows the first `?` up to the next one ('' when none). */
  query: string;
  /** Lower-cased names; repeated headers joined by `, `. */
  headers: Record<string, string>;
  raw: string;
  /** The body's bytes as they came (multipart uploads: `raw` is their UTF-8 reading). */
  bytes: Buffer;
}

/** The fields every fake's request log entry starts with (the body still raw). */
export function logEntryBase(request: IncomingFakeRequest) {
  const { method, path, headers, raw } = request;
  return { at: Date.now(), method, path, headers, body: raw as unknown };
}

export type FakeRequestHandler = (
  request: IncomingFakeRequest,
  res: ServerResponse,
  signal: AbortSignal,
) => Promise<void>;

export interface FakeHttpServer {
  readonly port: number;
  /** Aborts every in-flight request (their `signal`), closes the server and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts a server on `127.0.0.1:<random port>`. Each request gets a `signal` that aborts when the client goes
 * away before the answer finished (or on `close()`); its body is read before `handle` runs (a client that goes
 * away mid-body is dropped). When `handle` throws, `onBug` answers (the connection is destroyed instead when
 * headers went out already), so no request ever hangs on a bug in the fake itself.
 */
export async function startFakeHttpServer(
  handle: FakeRequestHandler,
  onBug: (res: ServerResponse, error: unknown) => void,
): Promise<FakeHttpServer> {
  const inFlight = new Set<AbortController>();

  async function accept(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    inFlight.add(abort);
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
      inFlight.delete(abort);
    });
    res.on('error', () => abort.abort());
    let bytes: Buffer;
    try {
      bytes = await readBodyBytes(req);
    } catch {
      return; // the client went away mid-body
    }
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const headers = flattenHeaders(req);
    const request = { method: req.method ?? 'GET', path, query, headers, raw: bytes.toString('utf8'), bytes };
    await handle(request, res, abort.signal);
  }

  const server = createServer((req, res) => {
    accept(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) onBug(res, error);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const abort of inFlight) abort.abort();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}

// --- request log ---------------------------------------------------------------------------------------------

export interface RequestLog<R> {
  /** Every request so far, in arrival order (the same array throughout). */
  readonly requests: R[];
  readonly closed: boolean;
  /** Appends `entry` and resolves the waiters it satisfies. */
  log(entry: R): void;
  /** Resolves with the log once it has `count` entries; rejects after `timeoutMs` or on `close()`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly R[]>;
  /** Empties the log in place. */
  clear(): void;
  /** Rejects every waiter; later waits reject at once (unless already satisfied). */
  close(): void;
}

interface Waiter<R> {
  count: number;
  resolve: (log: readonly R[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** `label` names the fake in errors: `fake Responses server: 1 of 2 requests after 10 ms`. */
export function createRequestLog<R>(label: string): RequestLog<R> {
  const requests: R[] = [];
  const waiters = new Set<Waiter<R>>();
  let closed = false;
  return {
    requests,
    get closed() {
      return closed;
    },
    log(entry) {
      requests.push(entry);
      for (const waiter of waiters) {
        if (requests.length < waiter.count) continue;
        waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(requests);
      }
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests);
      if (closed) return Promise.reject(new Error(`${label} is closed`));
      return new Promise((resolve, reject) => {
        const waiter: Waiter<R> = {
          count,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`${label}: ${requests.length} of ${count} requests after ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    clear() {
      requests.length = 0;
    },
    close() {
      closed = true;
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${label} closed`));
      }
      waiters.clear();
    },
  };
}

// --- choosing a step -----------------------------------------------------------------------------------------

/** What a fake answers when nothing else is scripted (and a tool follow-up without `then` or `text`). */
export const DEFAULT_FALLBACK_TEXT = 'OK (fake model: no scripted reply left).';

export type FakeScript<Step, R> = Step | Step[] | ((request: R) => Step | Promise<Step>);

/** Where a chosen step came from. */
export type StepSource = 'follow-up' | 'keyed' | 'script' | 'fallback';

/** A tool step: its `then` (or a text reply of its `text`) answers the request that carries the tool's result. */
export interface ToolStepBase<Step> {
  then?: Step;
  text?: string;
}

export interface StepChooser<Step, R, Tool extends ToolStepBase<Step>> {
  /** Tool calls whose follow-up request has not arrived yet, by call id. */
  readonly pendingCalls: Map<string, Tool>;
  /** A keyed reply: a single step answers every match; a list is consumed one per match. */
  on(match: string | RegExp, step: Step | Step[]): void;
  /** Replaces the script (a list is copied). */
  script(next: FakeScript<Step, R> | undefined): void;
  /** Drops keyed replies and pending calls, restores the initial script. */
  reset(): void;
  /** Pending tool follow-up → keyed (on the request's last user text) → script → a `fallbackText` reply. */
  choose(request: R): Promise<{ step: Step; source: StepSource }>;
}

export function createStepChooser<
  Step,
  R extends { body: unknown; lastUserText: string },
  Tool extends ToolStepBase<Step>,
>(options: {
  script: FakeScript<Step, R> | undefined;
  /** `DEFAULT_FALLBACK_TEXT` by default. */
  fallbackText?: string | undefined;
  /** The step that replies `text` (a follow-up without `then`, the fallback); `{ text }` by default. */
  textStep?: (text: string) => Step;
  /** The id of a pending call whose result the request carries. */
  followUpCallId: (body: unknown, pending: ReadonlyMap<string, Tool>) => string | undefined;
}): StepChooser<Step, R, Tool> {
  const fallbackText = options.fallbackText ?? DEFAULT_FALLBACK_TEXT;
  const textStep = options.textStep ?? ((text: string) => ({ text }) as Step);
  const keyed: Array<{ match: string | RegExp; steps: Step | Step[] }> = [];
  const pendingCalls = new Map<string, Tool>();
  let script = copyScript(options.script);
  return {
    pendingCalls,
    on(match, step) {
      keyed.push({ match, steps: Array.isArray(step) ? [...step] : step });
    },
    script(next) {
      script = copyScript(next);
    },
    reset() {
      keyed.length = 0;
      pendingCalls.clear();
      script = copyScript(options.script);
    },
    async choose(request) {
      const callId = options.followUpCallId(request.body, pendingCalls);
      if (callId !== undefined) {
        const tool = pendingCalls.get(callId) as Tool;
        pendingCalls.delete(callId);
        return { step: tool.then ?? textStep(tool.text ?? fallbackText), source: 'follow-up' };
      }
      for (const reply of keyed) {
        if (!matches(reply.match, request.lastUserText)) continue;
        if (!Array.isArray(reply.steps)) return { step: reply.steps, source: 'keyed' };
        const step = reply.steps.shift();
        if (step) return { step, source: 'keyed' };
      }
      if (typeof script === 'function') {
        const fn = script as (request: R) => Step | Promise<Step>;
        return { step: await fn(request), source: 'script' };
      }
      if (Array.isArray(script)) {
        const step = script.shift();
        if (step) return { step, source: 'script' };
      } else if (script) {
        return { step: script, source: 'script' };
      }
      return { step: textStep(fallbackText), source: 'fallback' };
    },
  };
}

function copyScript<S>(script: S): S {
  return (Array.isArray(script) ? [...script] : script) as S;
}

/** A string matches when the text contains it; a RegExp is tested from the start (its `lastIndex` reset). */
export function matches(match: string | RegExp, text: string): boolean {
  if (typeof match === 'string') return text.includes(match);
  match.lastIndex = 0;
  return match.test(text);
}

// --- a whole fake model server ------------------------------------------------------------------------------

/** The part of every fake model server's public API that the kit implements. */
export interface FakeModelControls<Step, R> {
  readonly requests: readonly R[];
  on(match: string | RegExp, step: Step | Step[]): void;
  script(next: FakeScript<Step, R>): void;
  /** Empties the log (in place), drops `on()` replies and pending tool calls, restores the initial script. */
  reset(): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly R[]>;
  /** Rejects the waiters, aborts what is in flight and stops the server; later calls do nothing. */
  close(): Promise<void>;
}

export interface FakeModel<Step, R, Tool extends ToolStepBase<Step>> {
  readonly requests: R[];
  /** A fresh id: `<prefix>_<tag>_<n>` by default (`tag` is random per server, `n` counts from 1). */
  nextId(prefix: string): string;
  log(entry: R): void;
  readonly pendingCalls: Map<string, Tool>;
  choose(request: R): Promise<{ step: Step; source: StepSource }>;
  /** Starts the HTTP server (see `startFakeHttpServer`) and returns its port and the public controls. */
  listen(
    handle: FakeRequestHandler,
    onBug: (res: ServerResponse, error: unknown) => void,
  ): Promise<{ port: number; controls: FakeModelControls<Step, R> }>;
}

/** A request log (errors name `label`) and a step chooser, served by `listen()`. */
export function createFakeModel<
  Step,
  R extends { body: unknown; lastUserText: string },
  Tool extends ToolStepBase<Step>,
>(
  options: {
    label: string;
    formatId?: (prefix: string, tag: string, n: number) => string;
  } & Parameters<typeof createStepChooser<Step, R, Tool>>[0],
): FakeModel<Step, R, Tool> {
  const requestLog = createRequestLog<R>(options.label);
  const chooser = createStepChooser<Step, R, Tool>(options);
  const tag = randomBytes(3).toString('hex');
  const formatId = options.formatId ?? ((prefix, tag, n) => `${prefix}_${tag}_${n}`);
  let seq = 0;
  return {
    requests: requestLog.requests,
    nextId: (prefix) => formatId(prefix, tag, ++seq),
    log: requestLog.log,
    pendingCalls: chooser.pendingCalls,
    choose: chooser.choose,
    async listen(handle, onBug) {
      const http = await startFakeHttpServer(handle, onBug);
      const controls: FakeModelControls<Step, R> = {
        requests: requestLog.requests,
        on: chooser.on,
        script: chooser.script,
        reset() {
          requestLog.clear();
          chooser.reset();
        },
        waitForRequests: requestLog.waitForRequests,
        async close() {
          if (requestLog.closed) return;
          requestLog.close();
          await http.close();
        },
      };
      return { port: http.port, controls };
    },
  };
}

// --- writing answers -----------------------------------------------------------------------------------------

/** Answers with a JSON body (and its content-length); a no-op once the client is gone or headers went out. */
/**
 * Why a request is refused with 401 when the fake was given an `apiKey`: the key is missing or another one (as
 * `x-api-key`, `x-goog-api-key` or `authorization: Bearer`); undefined when it matches or no key is required.
 */
export function missingKey(headers: Record<string, string>, apiKey: string | undefined): string | undefined {
  if (apiKey === undefined) return undefined;
  const sent =
    headers['x-api-key'] ?? headers['x-goog-api-key'] ?? headers.authorization?.replace(/^Bearer /, '');
  if (sent === apiKey) return undefined;
  return sent === undefined ? 'no API key was sent' : 'invalid API key';
}

export function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed || res.headersSent) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The OpenAI error body (Responses and Chat Completions): `type` defaults by status. */
export function openAiErrorBody(status: number, message: string, type?: string) {
  return {
    error: {
      message,
      type: type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: null,
      code: null,
    },
  };
}

export interface SseWriter {
  /** False once the client is gone (or the request was aborted). */
  readonly open: boolean;
  /** Writes `[event: <event>\n]data: <data>\n\n` in one `res.write` (a string as is, anything else as JSON). */
  write(data: unknown, event?: string): void;
}

/** Sends the 200 `text/event-stream` head (unless aborted or already sent) and returns the event writer. */
export function openSse(res: ServerResponse, signal: AbortSignal): SseWriter {
  if (!signal.aborted && !res.headersSent) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
  }
  return {
    get open() {
      return !signal.aborted && !res.destroyed;
    },
    write(data, event) {
      if (signal.aborted || res.destroyed) return;
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      res.write(`${event === undefined ? '' : `event: ${event}\n`}data: ${text}\n\n`);
    },
  };
}

// --- helpers -------------------------------------------------------------------------------------------------

/** `text` in `count` pieces of near-equal length (by code point); none for empty text. */
export function split(text: string, count: number): string[] {
  const chars = Array.from(text);
  if (chars.length === 0) return [];
  const n = Math.max(1, Math.min(Math.floor(count), chars.length));
  const size = Math.ceil(chars.length / n);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces;
}

/** Waits `ms` unless the client disconnects; `false` when aborted. */
export async function delay(ms: number | undefined, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (!ms || ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString('utf8');
}

export function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}

export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
