import type { ContainerRuntime, Logger } from '@nanoclaw/core';
import type { AgentPool } from '../agent-pool/types.js';
import type { HostConfig } from '../config.js';
import { type AudioConverter, createHostFfmpegConverter } from './audio-converter.js';
import { createTranscriber } from './openai-transcriber.js';
import { createSandboxFfmpegConverter } from './sandbox-audio-converter.js';
import type { Transcriber } from './transcriber.js';
import { TranscriptionError } from './transcription-error.js';

export interface TranscriberContext {
  config: Pick<HostConfig, 'TRANSCRIBE_BASE_URL' | 'TRANSCRIBE_API_KEY' | 'TRANSCRIBE_MODEL'>;
  /** The host's sandbox runtime (undefined: none is usable). */
  runtime: ContainerRuntime | undefined;
  /** The host's sandbox pool: converts audio in the group's own sandbox. */
  pool: Pick<AgentPool, 'runTool'>;
  logger: Logger;
}

/**
 * The host's transcriber, when `TRANSCRIBE_BASE_URL` is set (else undefined: voice notes reach the agent as
 * files). Audio the endpoint refuses is converted where the group's agent runs: in a one-shot sandbox of the
 * group's userland (its ffmpeg; untrusted media is never decoded on the host), or with the host's ffmpeg in the
 * process runtime, whose agents run on the host anyway.
 */
export function createConfiguredTranscriber(context: TranscriberContext): Transcriber | undefined {
  const { config, logger } = context;
  if (!config.TRANSCRIBE_BASE_URL) return undefined;
  return createTranscriber(
    {
      baseUrl: config.TRANSCRIBE_BASE_URL,
      ...(config.TRANSCRIBE_API_KEY ? { apiKey: config.TRANSCRIBE_API_KEY } : {}),
      model: config.TRANSCRIBE_MODEL,
    },
    { logger, converter: converterFor(context) },
  );
}

function converterFor({ runtime, pool }: TranscriberContext): AudioConverter {
  if (runtime?.name === 'process') return createHostFfmpegConverter();
  const runTool = pool.runTool?.bind(pool);
  if (runtime && runTool) return createSandboxFfmpegConverter({ runTool });
  return {
    toWav: async (input) => {
      throw new TranscriptionError(
        'conversion-unavailable',
        `the transcription server refused ${input.name} and no sandbox is available to convert it`,
      );
    },
  };
}
