import path from 'node:path';
import { SANDBOX_PATHS } from '@nanoclaw/container-runner';
import { errorMessage } from '@nanoclaw/core';
import type { AgentPool } from '../agent-pool/types.js';
import {
  type AudioConverter,
  CONVERSION_TIMEOUT_MS,
  checkRegularFile,
  ffmpegWavArgs,
  finishConversion,
  wavTarget,
} from './audio-converter.js';
import type { TranscriptionInput } from './transcriber.js';
import { TranscriptionError } from './transcription-error.js';

/**
 * Converts in a one-shot sandbox of the group's own userland (Debian's ffmpeg there): the untrusted audio is
 * decoded where the group's agent runs, with only the group folder mounted and no network, never on the host.
 */
export function createSandboxFfmpegConverter(deps: {
  runTool: NonNullable<AgentPool['runTool']>;
}): AudioConverter {
  return {
    async toWav(input, signal) {
      await checkRegularFile(input.hostPath, input.name);
      const target = wavTarget(input.hostPath);
      const inside = (hostPath: string) => sandboxPath(input, hostPath);
      let result: { code: number | null; output: string; timedOut: boolean };
      try {
        result = await deps.runTool({
          group: input.group,
          command: ['ffmpeg', ...ffmpegWavArgs(inside(input.hostPath), inside(target.temporary))],
          timeoutMs: CONVERSION_TIMEOUT_MS,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        throw new TranscriptionError(
          'conversion-unavailable',
          `the transcription server refused ${input.name} and the sandbox to convert it did not start: ${errorMessage(error)}`,
          { cause: error },
        );
      }
      return finishConversion(input, target, {
        ok: result.code === 0,
        ...result,
        aborted: signal?.aborted ?? false,
      });
    },
  };
}

/** The file's path as the sandbox sees the group folder (`/workspace/group/inbox/...`). */
function sandboxPath(input: TranscriptionInput, hostPath: string): string {
  const marker = `${path.sep}${input.group.folder}${path.sep}inbox${path.sep}`;
  const at = hostPath.lastIndexOf(marker);
  if (at < 0)
    throw new TranscriptionError(
      'unreadable-file',
      `${input.name} is not in the inbox of group ${input.group.folder}`,
    );
  const relative = hostPath.slice(at + marker.length - `inbox${path.sep}`.length);
  return path.posix.join(SANDBOX_PATHS.group, ...relative.split(path.sep));
}
