import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  defaultMountAllowlistPath,
  defaultSandboxUser,
  noopLogger,
  type OrphanReaper,
} from '@nanoclaw/container-runner';
import { type ContainerConfig, containerConfigSchema, type Logger } from '@nanoclaw/core';
import { AgentPoolError } from './agent-pool-error.js';
import type { AgentPoolOptions } from './agent-pool-options.js';
import { PooledSandbox } from './pooled-sandbox.js';
import { DEFAULT_PROVIDER_PROFILES } from './profiles.js';
import { startAgentPoolReaper } from './reaper.js';
import { defaultRunnerDist } from './runner-files.js';
import { SandboxPlacer } from './sandbox-placement.js';
import { SandboxSpawner } from './sandbox-spawner.js';
import { runToolSandbox, type ToolSandboxContext } from './tool-sandbox.js';
import type {
  AcquiredSandbox,
  AcquireRequest,
  AgentPool,
  SandboxChange,
  SandboxSummary,
  ToolRunRequest,
  ToolRunResult,
} from './types.js';

export { AgentPoolError, type AgentPoolErrorCode, isAgentPoolError } from './agent-pool-error.js';
export type { AgentPoolOptions } from './agent-pool-options.js';

export interface AgentPoolHandle extends AgentPool {
  /** Session ids that have a sandbox spawning right now (included in `liveSessions`). */
  readonly spawning: readonly string[];
  /**
   * Builds what a first spawn needs ahead of time: the base agent userland (about a minute, once per machine;
   * progress in the log) and, for docker, the runner image on it. Rejects with the reason when it cannot.
   */
  prepare(): Promise<void>;
}

interface PoolEntry {
  sessionId: string;
  /** What the sandbox list shows; `state` and `lastActiveAt` change as runs start and end. */
  summary: SandboxSummary;
  groupFolder: string;
  fingerprint: string;
  sandbox: PooledSandbox;
  resumed: boolean;
  gone: boolean;
  /** Resolves once the sandbox is gone and its egress proxy (if any) is stopped. */
  released: Promise<void>;
}

/**
 * One live sandbox per session, running the real agent runner, reused between runs (warm) and closed when idle.
 *
 * Ownership: a sandbox runs as `sandboxUser` (1000:1000 when the host is root). When the host runs as root
 * (and the runtime isolates: not `process`), every cold spawn hands the group folder and the session's provider
 * home to that uid with `chownTree` (recursive, lchown, never following a symlink, never leaving the folder),
 * so files the host wrote there stay writable by the agent. The session dirs the pool creates
 * (`<dataDir>/sessions/<id>/home/…`) are 0711 (traversable, not listable). For bubblewrap, which binds each
 * mount source as the sandbox uid, every directory on the way to a mount source must be searchable by that uid;
 * a spawn that would fail on that names the directory instead.
 */
export function createAgentPool(options: AgentPoolOptions): AgentPoolHandle {
  const pool = new SandboxPool(options);
  if (options.reaper !== false) {
    pool.reaper = startAgentPoolReaper({
      pool,
      runtime: options.runtime,
      installId: options.installId,
      logger: pool.logger,
      ...(options.reaper?.intervalMs !== undefined ? { intervalMs: options.reaper.intervalMs } : {}),
    });
  }
  return pool;
}

/** The live sandboxes by session: one spawn at a time per session, reuse while the settings match. */
class SandboxPool implements AgentPoolHandle {
  readonly logger: Logger;
  reaper: OrphanReaper | undefined;
  readonly #options: AgentPoolOptions;
  readonly #placer: SandboxPlacer;
  readonly #spawner: SandboxSpawner;
  readonly #tools: ToolSandboxContext;
  readonly #busyWaitMs: number;
  readonly #closeTimeoutMs: number;
  readonly #live = new Map<string, PoolEntry>();
  readonly #spawning = new Map<string, Promise<PoolEntry>>();
  /** The sandboxes of the spawns in `#spawning`, by session id. */
  readonly #starting = new Map<string, SandboxSummary>();
  readonly #stopped = new WeakSet<SandboxSummary>();
  #closing = false;

  constructor(options: AgentPoolOptions) {
    const { runtime } = options;
    this.#options = options;
    this.logger = (options.logger ?? noopLogger).child({ component: 'agent-pool' });
    this.#busyWaitMs = options.busyWaitMs ?? 5_000;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    const projectRoot = path.resolve(options.projectRoot);
    const runnerDist = path.resolve(options.runnerDist ?? defaultRunnerDist(projectRoot));
    const user = options.sandboxUser ?? defaultSandboxUser();
    const hostIsRoot = process.getuid?.() === 0;
    const shared = { options, runtime, projectRoot, runnerDist, user, hostIsRoot, logger: this.logger };
    this.#placer = new SandboxPlacer(shared);
    const groupsDir = path.resolve(options.groupsDir ?? path.join(projectRoot, 'groups'));
    this.#tools = { runtime, placer: this.#placer, user, hostIsRoot, groupsDir, logger: this.logger };
    this.#spawner = new SandboxSpawner(
      {
        ...shared,
        groupsDir,
        dataDir: path.resolve(options.dataDir ?? path.join(projectRoot, 'data')),
        profiles: { ...DEFAULT_PROVIDER_PROFILES, ...options.profiles },
        closeTimeoutMs: this.#closeTimeoutMs,
        placer: this.#placer,
      },
      options.mountAllowlistPath ?? defaultMountAllowlistPath(options.hostEnv),
    );
    if (runtime.name === 'process') {
      this.logger.warn(
        "agent pool on the process runtime: agents run WITHOUT isolation (development only); the groups' network and limits are not enforced",
      );
    }
  }

  get spawning(): readonly string[] {
    return [...this.#spawning.keys()];
  }

  async acquire(request: AcquireRequest): Promise<AcquiredSandbox> {
    const sessionId = request.session.id;
    const config = await this.#loadConfig(request.group.id);
    const fingerprint = fingerprintOf(request, config);
    for (;;) {
      if (this.#closing) throw new AgentPoolError('closed', 'the agent pool is closed');
      const pending = this.#spawning.get(sessionId);
      if (pending) {
        // One spawn per session: wait for it (its error is ours too), then decide again.
        const entry = await pending;
        if (this.#reusable(entry, fingerprint)) return this.#handOut(entry, request, entry.resumed);
        continue;
      }
      const current = this.#live.get(sessionId);
      if (current && !current.gone) {
        if (current.sandbox.busy) {
          await this.#waitIdle(current);
          continue;
        }
        // The live session goes on: nothing was started afresh.
        if (current.fingerprint === fingerprint) return this.#handOut(current, request, true);
        this.logger.info(
          { session: sessionId, group: current.groupFolder },
          'provider or settings changed: replacing the session sandbox',
        );
        await this.#closeEntry(current, 'close');
        continue;
      }
      const entry = await this.#spawnOnce(request, config, fingerprint);
      return { sandbox: entry.sandbox, resumed: entry.resumed, spawned: true };
    }
  }

  async runTool(request: ToolRunRequest): Promise<ToolRunResult> {
    if (this.#closing) throw new AgentPoolError('closed', 'the agent pool is closed');
    return runToolSandbox(this.#tools, await this.#loadConfig(request.group.id), request);
  }

  async prepare(): Promise<void> {
    await this.#placer.place('main', containerConfigSchema.parse({}));
  }

  async discard(sessionId: string): Promise<void> {
    const pending = this.#spawning.get(sessionId);
    if (pending) await pending.catch(() => undefined);
    const entry = this.#live.get(sessionId);
    if (entry) await this.#closeEntry(entry, 'kill');
  }

  liveSessions(): string[] {
    return [...new Set([...this.#live.keys(), ...this.#spawning.keys()])];
  }

  list(): SandboxSummary[] {
    const all = [...this.#starting.values(), ...[...this.#live.values()].map((entry) => entry.summary)];
    return all.sort((a, b) => a.startedAt - b.startedAt).map((summary) => ({ ...summary }));
  }

  async kill(id: string): Promise<boolean> {
    for (const [sessionId, summary] of this.#starting) {
      if (summary.id !== id) continue;
      // Still starting: let the spawn end, then stop what it started.
      await this.#spawning.get(sessionId)?.catch(() => undefined);
    }
    const entry = [...this.#live.values()].find((candidate) => candidate.summary.id === id);
    if (!entry) return false;
    this.logger.info({ sandbox: id, group: entry.groupFolder }, 'sandbox killed on request');
    await this.#closeEntry(entry, 'kill');
    return true;
  }

  async closeAll(): Promise<void> {
    this.#closing = true;
    this.reaper?.stop();
    await Promise.allSettled([...this.#spawning.values()]);
    await Promise.allSettled([...this.#live.values()].map((entry) => this.#closeEntry(entry, 'close')));
  }

  async #loadConfig(groupId: string): Promise<ContainerConfig> {
    return (await this.#options.getContainerConfig(groupId)) ?? containerConfigSchema.parse({});
  }

  #reusable(entry: PoolEntry, fingerprint: string): boolean {
    return !entry.gone && entry.fingerprint === fingerprint && this.#live.get(entry.sessionId) === entry;
  }

  #handOut(entry: PoolEntry, request: AcquireRequest, resumed: boolean): AcquiredSandbox {
    entry.summary.lastActiveAt = Date.now();
    entry.sandbox.onAction(request.onAction);
    return { sandbox: entry.sandbox, resumed, spawned: false };
  }

  async #spawnOnce(
    request: AcquireRequest,
    config: ContainerConfig,
    fingerprint: string,
  ): Promise<PoolEntry> {
    const sessionId = request.session.id;
    const now = Date.now();
    const summary: SandboxSummary = {
      id: `sb-${randomBytes(6).toString('hex')}`,
      folder: request.group.folder,
      session: request.session.key ?? sessionId,
      provider: request.provider,
      runtime: this.#options.runtime.name,
      state: 'starting',
      startedAt: now,
      lastActiveAt: now,
    };
    const spawn = this.#spawn(request, config, fingerprint, summary);
    this.#spawning.set(sessionId, spawn);
    this.#starting.set(sessionId, summary);
    this.#changed(summary, 'starting');
    try {
      const entry = await spawn;
      this.#changed(summary, 'idle');
      return entry;
    } catch (error) {
      this.#changed(summary, 'stopped');
      throw error;
    } finally {
      if (this.#spawning.get(sessionId) === spawn) this.#spawning.delete(sessionId);
      if (this.#starting.get(sessionId) === summary) this.#starting.delete(sessionId);
    }
  }

  /** Records the sandbox's new state and tells `onSandboxChange`; nothing after `stopped`. */
  #changed(summary: SandboxSummary, state: SandboxChange['state']): void {
    if (this.#stopped.has(summary)) return;
    if (state === 'stopped') this.#stopped.add(summary);
    else summary.state = state;
    const listener = this.#options.onSandboxChange;
    if (!listener) return;
    try {
      listener({ id: summary.id, folder: summary.folder, state });
    } catch (error) {
      this.logger.warn({ err: error, sandbox: summary.id }, 'a sandbox change listener failed');
    }
  }

  /** A cold spawn, kept in the pool until its sandbox is gone. */
  async #spawn(
    request: AcquireRequest,
    config: ContainerConfig,
    fingerprint: string,
    summary: SandboxSummary,
  ): Promise<PoolEntry> {
    const spawned = await this.#spawner.spawn(request, config);
    const sandbox = new PooledSandbox(spawned.sandbox, (running) => {
      summary.lastActiveAt = Date.now();
      this.#changed(summary, running ? 'busy' : 'idle');
    });
    const entry: PoolEntry = {
      sessionId: request.session.id,
      summary,
      groupFolder: request.group.folder,
      fingerprint,
      sandbox,
      resumed: spawned.resumed,
      gone: false,
      released: sandbox.closed
        .then(async ({ reason, exit }) => {
          entry.gone = true;
          if (this.#live.get(entry.sessionId) === entry) this.#live.delete(entry.sessionId);
          this.#changed(summary, 'stopped');
          await spawned.stopEgress();
          spawned.logger.info({ sandbox: sandbox.name, reason, exit }, 'sandbox left the pool');
        })
        .catch(() => {}),
    };
    if (this.#closing) {
      await sandbox.kill().catch(() => {});
      throw new AgentPoolError('closed', 'the agent pool is closing');
    }
    if (!entry.gone) this.#live.set(entry.sessionId, entry);
    return entry;
  }

  async #closeEntry(entry: PoolEntry, how: 'close' | 'kill'): Promise<void> {
    if (this.#live.get(entry.sessionId) === entry) this.#live.delete(entry.sessionId);
    if (how === 'kill') {
      await entry.sandbox.kill();
    } else {
      // close() kills after closeTimeoutMs itself; the guard only bounds a runtime that hangs while stopping.
      const finished = await Promise.race([
        entry.sandbox.close().then(() => true),
        delay(this.#closeTimeoutMs * 2 + 10_000).then(() => false),
      ]);
      if (!finished) await entry.sandbox.kill();
    }
    await entry.released;
  }

  /** Waits for the session's run to end (an event, not a poll), at most `busyWaitMs`. */
  async #waitIdle(entry: PoolEntry): Promise<void> {
    if (await entry.sandbox.whenIdle(this.#busyWaitMs)) return;
    throw new AgentPoolError(
      'session-busy',
      `session ${entry.sessionId} still has a run in progress after ${this.#busyWaitMs} ms; discard it first`,
    );
  }
}

/** What a live sandbox was spawned with: a change means the next acquire replaces it. */
function fingerprintOf(request: AcquireRequest, config: ContainerConfig): string {
  return JSON.stringify([
    request.provider,
    request.group.id,
    request.group.folder,
    request.group.isMain,
    config.model ?? null,
    config.reasoningEffort ?? null,
    config.env,
    config.additionalMounts,
    config.limits,
    config.network,
    config.timeouts,
    config.mcpServers,
    config.packages,
    config.skills,
  ]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
