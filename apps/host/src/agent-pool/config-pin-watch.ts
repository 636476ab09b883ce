import { type FSWatcher, lstatSync, watch } from 'node:fs';
import path from 'node:path';
import { GROUP_CONFIG_FILES } from '@nanoclaw/container-runner';
import type { Logger } from '@nanoclaw/core';

/**
 * Which files the config pins of a group folder cover right now (`dev:ino` of each, or `none`). A sandbox's
 * read-only pin holds the file it was spawned with; an editor that saves by renaming a new file over it (vim,
 * `sed -i`) puts a new, unpinned file in the agent's writable folder, so the identity changes.
 */
export function configIdentity(groupDir: string): string {
  return GROUP_CONFIG_FILES.map(({ relPath }) => {
    const stat = lstatSync(path.join(groupDir, relPath), { throwIfNoEntry: false });
    return stat ? `${stat.dev}:${stat.ino}` : 'none';
  }).join(',');
}

interface Watched {
  watcher: FSWatcher;
  listeners: Map<symbol, { identity: string; onReplaced: () => void }>;
}

/**
 * Watches the group folders of live sandboxes for a config file replaced on the host. A replacement leaves the
 * running sandbox without its pin (the bind follows the old file), so the sandbox is closed at once and the next
 * message spawns one pinned to the new file. (Acquire also compares identities, in case a watch event is lost.)
 */
export class ConfigPinWatch {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly logger: Logger) {}

  /** Calls `onReplaced` once when a config file of `groupDir` stops being the one with `identity`. */
  watch(groupDir: string, identity: string, onReplaced: () => void): () => void {
    const key = Symbol(groupDir);
    const entry = this.watched.get(groupDir) ?? this.start(groupDir);
    if (!entry) return () => {};
    entry.listeners.set(key, { identity, onReplaced });
    return () => {
      entry.listeners.delete(key);
      if (entry.listeners.size > 0) return;
      entry.watcher.close();
      this.watched.delete(groupDir);
    };
  }

  closeAll(): void {
    for (const entry of this.watched.values()) entry.watcher.close();
    this.watched.clear();
  }

  private start(groupDir: string): Watched | undefined {
    let watcher: FSWatcher;
    try {
      watcher = watch(groupDir, { persistent: false }, () => this.check(groupDir));
    } catch (error) {
      this.logger.warn(
        { groupDir, err: String(error) },
        'cannot watch the group folder for config replacements',
      );
      return undefined;
    }
    watcher.on('error', (error) =>
      this.logger.warn({ groupDir, err: String(error) }, 'watching the group folder failed'),
    );
    const entry: Watched = { watcher, listeners: new Map() };
    this.watched.set(groupDir, entry);
    return entry;
  }

  private check(groupDir: string): void {
    const entry = this.watched.get(groupDir);
    if (!entry) return;
    const now = configIdentity(groupDir);
    for (const [key, listener] of entry.listeners) {
      if (listener.identity === now) continue;
      entry.listeners.delete(key);
      this.logger.warn(
        { groupDir },
        'the group config was replaced on the host: closing its sandbox so the new file is pinned read-only',
      );
      listener.onReplaced();
    }
  }
}
