import type { SandboxInfo, SandboxProcess } from '@nanoclaw/core';
import { SandboxError } from '../errors.js';

/** True when `labels` carries every key and value of `wanted` (an empty `wanted` matches all). */
export function hasLabels(
  labels: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

/**
 * The objects of a runtime CLI's JSON array (`docker inspect`, `container list --format json`), each mapped by
 * `read` (undefined drops it); anything unparseable yields [].
 */
export function parseCliList(json: string, read: (item: Record<string, unknown>) => SandboxInfo | undefined) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const info = read(item as Record<string, unknown>);
    return info ? [info] : [];
  });
}

/** The string-valued entries of a label object from a CLI's JSON; anything else is dropped. */
export function stringLabels(raw: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (typeof raw === 'object' && raw !== null) {
    for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') labels[key] = value;
  }
  return labels;
}

/** The sandboxes a daemonless runtime (bwrap, process) started and that still run: what its `list()` reports. */
export class LiveSandboxes<Proc extends SandboxProcess = SandboxProcess> {
  readonly #entries = new Map<string, { labels: Readonly<Record<string, string>>; proc: Proc }>();

  /** Throws when a sandbox of this name is already running. */
  assertFree(name: string): void {
    if (this.#entries.has(name))
      throw new SandboxError('invalid-argument', `a sandbox named ${name} is already running`);
  }

  add(name: string, labels: Readonly<Record<string, string>>, proc: Proc): void {
    this.#entries.set(name, { labels: { ...labels }, proc });
  }

  delete(name: string): void {
    this.#entries.delete(name);
  }

  list(wanted: Readonly<Record<string, string>>): SandboxInfo[] {
    return [...this.#entries.entries()]
      .filter(([, entry]) => hasLabels(entry.labels, wanted))
      .map(([name, entry]) => ({ name, labels: entry.labels, running: true }));
  }

  /** Stops a sandbox by name; an unknown one is not an error. */
  async stop(name: string): Promise<void> {
    await this.#entries.get(name)?.proc.kill();
  }
}
