/**
 * What the loopback fakes of chat platforms (fake-discord.ts, fake-slack.ts) share: waiting until the fake saw
 * something, and the JSON plumbing of their HTTP side. Exported from `@nanoclaw/channel-registry/test` only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FakeWaiters {
  /** Re-checks every pending `waitUntil` (call after each change to the fake's state). */
  notify(): void;
  /** Resolves once `check()` holds; rejects after `timeoutMs` with `<label>: timed out ... waiting for <what>`. */
  waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void>;
}

export function createFakeWaiters(label: string): FakeWaiters {
  const waiters = new Set<() => void>();
  return {
    notify() {
      for (const waiter of [...waiters]) waiter();
    },
    waitUntil(check, timeoutMs, what) {
      if (check()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${label}: timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const waiter = () => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        };
        waiters.add(waiter);
      });
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
