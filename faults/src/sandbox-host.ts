/**
 * One host in a scratch folder, agents in bubblewrap, every chat event recorded with its arrival time: the setup
 * of the sandbox fault cases (a killed sandbox, a frozen runner).
 */
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '@nanoclaw/testing/loopback';
import { type Api, createApi, type HostEvent, until } from './api.js';
import { type HostProcess, scratchRoot, startHost } from './host-process.js';
import { runners, sandboxes } from './processes.js';

export interface TimedEvent {
  at: number;
  event: HostEvent;
}

export interface SandboxHost {
  host: HostProcess;
  api: Api;
  events: TimedEvent[];
  /** Resolves with the next `run-start` for `messageId` after `since`. */
  nextRunStart(messageId: string, since: number, timeoutMs?: number): Promise<TimedEvent>;
  /**
   * Waits until the host has handed `n` runs in all to a ready sandbox (its `run start` log line): from then on
   * the runner has the turn, so a fault hits it mid-turn, not during start-up.
   */
  runsHandedOver(n: number, timeoutMs?: number): Promise<void>;
  /** The sandbox (bwrap pid) and its runner pids once the runner is up. */
  liveSandbox(timeoutMs?: number): Promise<{ sandbox: number; runners: number[] }>;
  close(): Promise<void>;
}

export async function startSandboxHost(
  prefix: string,
  runtime: string,
  containerJson: unknown,
): Promise<SandboxHost> {
  const root = scratchRoot(prefix);
  fs.mkdirSync(path.join(root, 'groups', 'main'), { recursive: true });
  fs.writeFileSync(path.join(root, 'groups', 'main.container.json'), JSON.stringify(containerJson));
  const host = await startHost({ root, port: await freePort(), runtime });
  const api = createApi(host.url, host.token);
  const events: TimedEvent[] = [];
  const stream = await api.events((event) => events.push({ at: Date.now(), event }));
  const pid = host.child.pid ?? 0;
  return {
    host,
    api,
    events,
    async nextRunStart(messageId, since, timeoutMs = 120_000) {
      let found: TimedEvent | undefined;
      await until(
        () => {
          found = events.find(
            (e) => e.at > since && e.event.type === 'run-start' && e.event.inReplyTo?.includes(messageId),
          );
          return found !== undefined;
        },
        timeoutMs,
        'run-start',
      );
      return found as TimedEvent;
    },
    runsHandedOver(n, timeoutMs = 60_000) {
      return until(
        () => (host.output().match(/"msg":"run start"/g) ?? []).length >= n,
        timeoutMs,
        `${n} runs handed to a sandbox`,
      );
    },
    async liveSandbox(timeoutMs = 30_000) {
      let result: { sandbox: number; runners: number[] } | undefined;
      await until(
        () => {
          const box = sandboxes(pid)[0];
          const inside = runners(pid).map((p) => p.pid);
          if (box && inside.length > 0) result = { sandbox: box.pid, runners: inside };
          return result !== undefined;
        },
        timeoutMs,
        'a live sandbox with its runner',
      );
      return result as { sandbox: number; runners: number[] };
    },
    async close() {
      stream.close();
      await host.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The user-visible end of a message: its reply(ies) and error events, in order. */
export function outcomeOf(events: TimedEvent[], messageId: string): TimedEvent[] {
  return events.filter(
    (e) => (e.event.type === 'reply' || e.event.type === 'error') && e.event.inReplyTo?.includes(messageId),
  );
}

/** Waits until the chat is told in words that its message failed (the host's notice reply after an error). */
export async function untilErrorNotice(events: TimedEvent[]): Promise<void> {
  await until(
    () =>
      events.some(
        (e) => e.event.type === 'reply' && /could not answer your last message/.test(e.event.text ?? ''),
      ),
    30_000,
    'the error reply',
  );
}
