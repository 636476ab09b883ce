/**
 * What a user of the local chat sees, through the host's HTTP API only: post a message, read the event stream
 * (`reply`, `error`, …). Deliberately small and separate from the host's own client, so a bug there cannot hide
 * one here.
 */
import net from 'node:net';
import { bwrapAvailability } from '@nanoclaw/container-runner/test';
import { readServerSentEvents } from '@nanoclaw/testing/loopback';

export interface HostEvent {
  type: string;
  folder?: string;
  text?: string;
  message?: string;
  inReplyTo?: string[];
  runId?: string;
  [key: string]: unknown;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  text: string;
}

export interface Api {
  /** Any request; `body` as a string or bytes is sent as is, anything else as JSON. */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
  postMessage(folder: string, text: string): Promise<{ messageId: string; willReply: boolean }>;
  /** Subscribes to `/api/v1/events` (or one group's); resolves once subscribed. */
  events(
    onEvent: (event: HostEvent) => void,
    folder?: string,
  ): Promise<{ close(): void; closed: Promise<void> }>;
  healthy(): Promise<boolean>;
}

export function createApi(url: string, token: () => string): Api {
  const request: Api['request'] = async (method, path, body, headers = {}) => {
    const raw = typeof body === 'string' || body instanceof Uint8Array;
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: raw ? (body as string | Uint8Array) : JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, text };
  };
  return {
    request,
    async postMessage(folder, text) {
      const response = await request('POST', `/api/v1/groups/${encodeURIComponent(folder)}/messages`, {
        text,
      });
      if (response.status !== 202) throw new Error(`POST message: ${response.status} ${response.text}`);
      return response.body as { messageId: string; willReply: boolean };
    },
    async events(onEvent, folder) {
      const controller = new AbortController();
      const path = folder ? `/api/v1/groups/${encodeURIComponent(folder)}/events` : '/api/v1/events';
      const response = await fetch(`${url}${path}`, {
        headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (response.status !== 200 || !response.body) throw new Error(`events: ${response.status}`);
      const closed = readServerSentEvents(response.body, (data) => onEvent(JSON.parse(data) as HostEvent));
      return { close: () => controller.abort(), closed };
    },
    async healthy() {
      try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
        await response.text();
        return response.status === 200;
      } catch {
        return false;
      }
    },
  };
}

/**
 * The sandbox the host runs agents in for these faults: bubblewrap (fast, no image). Missing: skipped with the
 * reason on a dev machine, a failure under CI=true (the suite must prove it, not skip it).
 */
export async function sandboxRuntime(): Promise<{ runtime: string } | { skip: string }> {
  const available = await bwrapAvailability();
  if (available.ok) return { runtime: 'bwrap' };
  if (available.required) throw new Error(`bwrap is required here (CI) but unavailable: ${available.reason}`);
  console.warn(`[faults] bwrap unavailable, sandbox cases skipped: ${available.reason}`);
  return { skip: available.reason };
}

export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A POST of an oversized body over a bare socket: declares the full length, sends the first 64 KiB and reads the
 * answer (a 413 before the body is read). fetch and node:http would report the host's early close as EPIPE.
 */
export function rawPost(url: string, path: string, token: string, body: Buffer): Promise<ApiResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {
      // EPIPE/ECONNRESET once the host has answered and closed: expected.
    });
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString();
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
      if (status === 0) {
        reject(new Error(`no HTTP answer: ${raw.slice(0, 200)}`));
        return;
      }
      const text = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (or chunked): keep the text
        const start = text.indexOf('{');
        try {
          parsed = JSON.parse(text.slice(start, text.lastIndexOf('}') + 1));
        } catch {
          // keep the text
        }
      }
      resolve({ status, body: parsed, text });
    });
    socket.on('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nauthorization: Bearer ${token}\r\n` +
          `content-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
      );
      // Only the start of the body: the host judges the declared length first. Sending it all would race the
      // host's close, and a reset can discard its answer before we read it.
      socket.write(body.subarray(0, 64 * 1024));
    });
    socket.setTimeout(30_000, () => socket.destroy());
  });
}
