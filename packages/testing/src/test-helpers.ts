/**
 * Small helpers the provider packages' tests share: a logger that records into an array, per-suite temp dirs,
 * reading an event stream, and Linux /proc look-ups for the processes a provider spawns.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentEvent, Logger } from '@nanoclaw/core';

/** One line recorded by `memoryLogger`. */
export interface LogLine {
  level: string;
  message: string;
  bindings: Record<string, unknown>;
}

export interface MemoryLoggerOptions {
  /** Levels that are dropped instead of recorded (in children too), e.g. `['trace']`. */
  skip?: readonly string[];
}

/** A `Logger` that appends every line (with the merged bindings of its `child()` chain) to `lines`. */
export function memoryLogger(
  lines: LogLine[],
  bindings: Record<string, unknown> = {},
  options: MemoryLoggerOptions = {},
): Logger {
  const at =
    (level: string) =>
    (first: string | Record<string, unknown>, message?: string): void => {
      if (options.skip?.includes(level)) return;
      if (typeof first === 'string') lines.push({ level, message: first, bindings });
      else lines.push({ level, message: message ?? '', bindings: { ...bindings, ...first } });
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => memoryLogger(lines, { ...bindings, ...more }, options),
  };
}

export interface TempDirs {
  /** A new directory under the OS temp dir (`prefix` defaults to the one given to `createTempDirs`). */
  tempDir(prefix?: string): string;
  /** Removes every directory `tempDir` made so far. */
  cleanupTempDirs(): void;
}

/** A set of temp dirs for one test module: `tempDir()` makes them, `cleanupTempDirs()` removes them. */
export function createTempDirs(defaultPrefix = 'nanoclaw-test-'): TempDirs {
  const dirs: string[] = [];
  return {
    tempDir(prefix = defaultPrefix) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    cleanupTempDirs() {
      for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every value of a stream, once it ends. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const events: T[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** The `type` of each event, in order. */
export function types(events: readonly AgentEvent[]): string[] {
  return events.map((event) => event.type);
}

/** The events of one type, narrowed. */
export function ofType<T extends AgentEvent['type']>(
  events: readonly AgentEvent[],
  type: T,
): Extract<AgentEvent, { type: T }>[] {
  return events.filter((event): event is Extract<AgentEvent, { type: T }> => event.type === type);
}

/** Status and text of each `turn-end`. */
export function turnEnds(events: readonly AgentEvent[]): { status: string; text: string }[] {
  return ofType(events, 'turn-end').map((event) => ({ status: event.status, text: event.text }));
}

/** A gate a fake closes to hold calls open: `pending()` is undefined while open, a promise while held. */
export interface HoldGate {
  pending(): Promise<void> | undefined;
  /** Closes the gate until the returned release function is called. */
  hold(): () => void;
}

export function createHoldGate(): HoldGate {
  let gate: Promise<void> | undefined;
  return {
    pending: () => gate,
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = undefined;
          resolve();
        };
      });
      return release;
    },
  };
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

/** Whether `pid` runs and is not a zombie (Linux /proc). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
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
