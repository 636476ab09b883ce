import type { ChannelFactory, ContainerRuntime, Logger } from '@nanoclaw/core';
import type { HostConfig } from './config.js';
import { createHost, type RunningHost } from './host/compose-host.js';
import { createDefaultPool } from './host/default-pool.js';
import { createConfiguredTranscriber } from './media/configured-transcriber.js';
import type { Transcriber } from './media/transcriber.js';

export type { RunningHost } from './host/compose-host.js';

export interface StartHostOptions {
  /** Use this sandbox runtime instead of `NANOCLAW_RUNTIME` (tests). */
  runtime?: ContainerRuntime;
  /** How long shutdown waits for running turns. Default 30 s. */
  drainMs?: number;
  /** Chat platforms instead of the built-in ones configured (tests). */
  channels?: readonly ChannelFactory[];
  /** Speech to text for voice notes instead of the configured one (tests). */
  transcriber?: Transcriber;
}

/**
 * Starts the host on its configuration: the database in the data dir, the groups folder, the group queue and
 * scheduler, sandboxes for the agents, the local channel and the HTTP API; voice notes transcribed when
 * `TRANSCRIBE_BASE_URL` is set.
 */
export function startHost(
  config: HostConfig,
  logger: Logger,
  options: StartHostOptions = {},
): Promise<RunningHost> {
  return createHost({
    config,
    logger,
    createPool: createDefaultPool,
    createTranscriber: createConfiguredTranscriber,
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
    ...(options.channels ? { channels: options.channels } : {}),
    ...(options.transcriber ? { transcriber: options.transcriber } : {}),
  });
}
