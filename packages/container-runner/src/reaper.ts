import type { ContainerRuntime, Logger } from '@nanoclaw/core';
import { errorMessage, silentLogger } from '@nanoclaw/core';
import { assertSupportedRuntime } from './runtime-version.js';

/** The labels every sandbox carries, so orphans are found by label, never by name. */
export const SANDBOX_LABELS = {
  install: 'nanoclaw.install',
  group: 'nanoclaw.group',
  session: 'nanoclaw.session',
} as const;

export function sandboxLabels(ids: {
  installId: string;
  groupFolder: string;
  sessionId: string;
}): Record<string, string> {
  return {
    [SANDBOX_LABELS.install]: ids.installId,
    [SANDBOX_LABELS.group]: ids.groupFolder,
    [SANDBOX_LABELS.session]: ids.sessionId,
  };
}

export interface ReapOrphansOptions {
  runtime: ContainerRuntime;
  /** Only sandboxes labelled with this install id are considered (another install's are never touched). */
  installId: string;
  /** Session ids that own a sandbox right now; any other labelled sandbox is an orphan. */
  liveSessions: Iterable<string>;
  logger?: Logger;
}

export interface ReapResult {
  stopped: string[];
  kept: string[];
  failed: Array<{ name: string; error: string }>;
}

/** Stops every sandbox with our install label that no live session owns (left over from a crash or a bug). */
export async function reapOrphans(options: ReapOrphansOptions): Promise<ReapResult> {
  const logger = options.logger ?? silentLogger;
  const live = new Set(options.liveSessions);
  const result: ReapResult = { stopped: [], kept: [], failed: [] };
  const sandboxes = await assertSupportedRuntime(options.runtime).list({
    [SANDBOX_LABELS.install]: options.installId,
  });
  for (const sandbox of sandboxes) {
    const session = sandbox.labels[SANDBOX_LABELS.session];
    if (session !== undefined && live.has(session)) {
      result.kept.push(sandbox.name);
      continue;
    }
    try {
      await options.runtime.stop(sandbox.name);
      result.stopped.push(sandbox.name);
      logger.warn(
        { sandbox: sandbox.name, session, group: sandbox.labels[SANDBOX_LABELS.group] },
        'reaped an orphaned sandbox',
      );
    } catch (error) {
      result.failed.push({ name: sandbox.name, error: errorMessage(error) });
      logger.error({ sandbox: sandbox.name, err: errorMessage(error) }, 'could not stop an orphaned sandbox');
    }
  }
  return result;
}

export interface OrphanReaper {
  /** Runs one pass now (passes never overlap). */
  runNow(): Promise<ReapResult>;
  stop(): void;
}

/** Reaps at once and then every `intervalMs` (default 5 min). `liveSessions` is asked on every pass. */
export function startOrphanReaper(
  options: Omit<ReapOrphansOptions, 'liveSessions'> & {
    liveSessions: () => Iterable<string>;
    intervalMs?: number;
  },
): OrphanReaper {
  const logger = options.logger ?? silentLogger;
  let running: Promise<ReapResult> | undefined;
  const runNow = () => {
    running ??= reapOrphans({ ...options, liveSessions: options.liveSessions() }).finally(() => {
      running = undefined;
    });
    return running;
  };
  const tick = () => {
    runNow().catch((error) => logger.error({ err: errorMessage(error) }, 'orphan reaping failed'));
  };
  tick();
  const timer = setInterval(tick, options.intervalMs ?? 5 * 60_000);
  timer.unref?.();
  return { runNow, stop: () => clearInterval(timer) };
}
