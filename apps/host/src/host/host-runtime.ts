import { createRuntime, detectRuntime, SandboxError } from '@nanoclaw/container-runner';
import { type ContainerRuntime, errorMessage, type Logger } from '@nanoclaw/core';
import { isAgentPoolError } from '../agent-pool/index.js';
import type { AgentPool } from '../agent-pool/types.js';
import type { HostConfig } from '../config.js';
import type { HostStatus } from '../host-api.js';

/**
 * The host's sandbox runtime and what it says about it. `status` is what `nanoclaw status`, `/readyz` and the
 * replies to users report; it follows the runtime: a spawn that fails because the runtime stopped being usable
 * turns it into an error, the next spawn that works turns it back.
 */
export interface HostRuntime {
  runtime: ContainerRuntime | undefined;
  status: HostStatus['runtime'];
}

const NEXT_STEP =
  'No agent can run until a sandbox runtime is usable: `nanoclaw doctor` shows what to install ' +
  '(NANOCLAW_RUNTIME=process runs agents without isolation, for development only).';

/** The configured runtime, or auto-detection; a missing one keeps the host up with the reason as its status. */
export async function resolveHostRuntime(options: {
  config: Pick<HostConfig, 'NANOCLAW_RUNTIME'>;
  logger: Logger;
  runtime?: ContainerRuntime;
}): Promise<HostRuntime> {
  if (options.runtime)
    return { runtime: options.runtime, status: { name: options.runtime.name, detail: 'given' } };
  const choice = options.config.NANOCLAW_RUNTIME;
  try {
    if (choice === 'auto') {
      const detected = await detectRuntime({ logger: options.logger });
      return { runtime: detected.runtime, status: { name: detected.runtime.name, detail: detected.detail } };
    }
    const runtime =
      choice === 'process'
        ? await createRuntime('process', {
            logger: options.logger,
            process: { unsafeAllowNoIsolation: true },
          })
        : await createRuntime(choice, { logger: options.logger });
    const availability = await runtime.available();
    if (!availability.ok) {
      return unusable(
        `the ${choice} sandbox runtime is not usable: ${availability.reason} (${availability.hint})`,
      );
    }
    return { runtime, status: { name: runtime.name, detail: availability.detail } };
  } catch (error) {
    // detectRuntime's message names every runtime it tried and why each did not fit.
    return unusable(errorMessage(error));
  }
}

function unusable(cause: string): HostRuntime {
  return { runtime: undefined, status: { name: null, error: `${cause}\n${NEXT_STEP}` } };
}

/**
 * The pool agents run in. Without a runtime every acquire fails at once with the reason (a permanent
 * `runtime-unavailable` error: the user is told, nothing is retried). With one, a failed spawn asks the
 * runtime whether it is still usable (the Docker engine stopped, bwrap was removed): if not, that is the
 * answer, and the status says so until a spawn works again; any other failure is passed on as it is.
 */
export function hostPool(
  state: HostRuntime,
  createPool: (runtime: ContainerRuntime) => AgentPool,
  logger: Logger,
): AgentPool {
  const runtime = state.runtime;
  if (!runtime) return unavailablePool(state);
  const pool = createPool(runtime);
  const usable = state.status;
  return {
    acquire: async (request) => {
      let acquired: Awaited<ReturnType<AgentPool['acquire']>>;
      try {
        acquired = await pool.acquire(request);
      } catch (error) {
        throw await explainSpawnFailure(error, runtime, state, logger);
      }
      if ('error' in state.status) {
        state.status = usable;
        logger.info({ runtime: runtime.name }, 'the sandbox runtime is usable again');
      }
      return acquired;
    },
    discard: (sessionId) => pool.discard(sessionId),
    liveSessions: () => pool.liveSessions(),
    list: () => pool.list(),
    kill: (id) => pool.kill(id),
    closeAll: () => pool.closeAll(),
    ...(pool.runTool ? { runTool: pool.runTool.bind(pool) } : {}),
  };
}

function unavailablePool(state: HostRuntime): AgentPool {
  return {
    acquire: async () => {
      throw new SandboxError('runtime-unavailable', 'error' in state.status ? state.status.error : NEXT_STEP);
    },
    discard: async () => undefined,
    liveSessions: () => [],
    list: () => [],
    kill: async () => false,
    closeAll: async () => undefined,
  };
}

async function explainSpawnFailure(
  error: unknown,
  runtime: ContainerRuntime,
  state: HostRuntime,
  logger: Logger,
): Promise<unknown> {
  // The pool refused (setup, closing, busy session): the runtime was not asked.
  if (isAgentPoolError(error)) return error;
  const availability = await runtime.available().catch((probeError: unknown) => ({
    ok: false as const,
    reason: errorMessage(probeError),
    hint: '',
  }));
  if (availability.ok) return error;
  const hint = availability.hint ? ` (${availability.hint})` : '';
  const message = `the ${runtime.name} sandbox runtime is not usable: ${availability.reason}${hint}\n${NEXT_STEP}`;
  if (!('error' in state.status) || state.status.error !== message)
    logger.error({ runtime: runtime.name }, message);
  state.status = { name: null, error: message };
  return new SandboxError('runtime-unavailable', message, { cause: error });
}
