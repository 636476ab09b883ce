import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { findHostBinary, runCommand } from '@nanoclaw/container-runner';
import type { TranscriptionInput } from './transcriber.js';
import { TranscriptionError } from './transcription-error.js';

/** Turns an audio file a transcription endpoint refused into one every endpoint takes. */
export interface AudioConverter {
  /**
   * Converts `input` to 16 kHz mono WAV next to it (`<file>.wav` in the same inbox folder) and resolves with
   * the WAV's host path; rejects with a `TranscriptionError` (`conversion-unavailable`, `conversion-failed`).
   */
  toWav(input: TranscriptionInput, signal?: AbortSignal): Promise<string>;
}

/** How long one conversion may take. */
export const CONVERSION_TIMEOUT_MS = 60_000;

/** ffmpeg's arguments: `<in>` to 16 kHz mono WAV `<out>`, never asking, never overwriting. */
export function ffmpegWavArgs(input: string, output: string): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-n',
    '-i',
    input,
    '-ac',
    '1',
    '-ar',
    '16000',
    '-f',
    'wav',
    output,
  ];
}

/**
 * Where a conversion writes: a fresh name in the original's folder (ffmpeg never writes through a symlink
 * someone left at `<file>.wav`), renamed over `<file>.wav` once it is complete (a rename replaces a link, never
 * follows it).
 */
export function wavTarget(hostPath: string): { temporary: string; final: string } {
  const dir = path.dirname(hostPath);
  const base = path.basename(hostPath);
  return {
    temporary: path.join(dir, `.${base}.${randomBytes(4).toString('hex')}.converting.wav`),
    final: path.join(dir, `${base}.wav`),
  };
}

/** The original must be a regular file (not a link the agent could have put there). */
export async function checkRegularFile(hostPath: string, name: string): Promise<void> {
  const stat = await fs.lstat(hostPath).catch(() => undefined);
  if (!stat?.isFile())
    throw new TranscriptionError('unreadable-file', `${name} is no longer a regular file in the inbox`);
}

/**
 * The process runtime's converter: the host's own ffmpeg (agents run on the host there, unisolated, so the
 * host decodes nothing the agent could not). Without ffmpeg on the PATH, conversion is unavailable.
 */
export function createHostFfmpegConverter(options: { hostPath?: string } = {}): AudioConverter {
  let ffmpeg: Promise<string | null> | undefined;
  return {
    async toWav(input, signal) {
      ffmpeg ??= findHostBinary('ffmpeg', options.hostPath ?? process.env.PATH);
      const binary = await ffmpeg;
      if (!binary) {
        throw new TranscriptionError(
          'conversion-unavailable',
          `the transcription server refused ${input.name} and there is no ffmpeg on this machine to convert it (install ffmpeg)`,
        );
      }
      await checkRegularFile(input.hostPath, input.name);
      const target = wavTarget(input.hostPath);
      const result = await runCommand(binary, ffmpegWavArgs(input.hostPath, target.temporary), {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
        timeoutMs: CONVERSION_TIMEOUT_MS,
        keepLast: 2_000,
        ...(signal ? { signal } : {}),
      });
      return finishConversion(input, target, {
        ok: result.code === 0,
        output: result.error ? result.error.message : result.stderr,
        timedOut: result.timedOut,
        aborted: signal?.aborted ?? false,
      });
    },
  };
}

/** Renames a finished WAV into place, or removes what a failed ffmpeg left and says why. */
export async function finishConversion(
  input: TranscriptionInput,
  target: { temporary: string; final: string },
  result: { ok: boolean; output: string; timedOut: boolean; aborted?: boolean },
): Promise<string> {
  if (result.ok) {
    await fs.rename(target.temporary, target.final);
    return target.final;
  }
  await fs.rm(target.temporary, { force: true });
  if (result.aborted) throw new TranscriptionError('cancelled', 'the transcription was cancelled');
  const why = result.timedOut
    ? `it took longer than ${CONVERSION_TIMEOUT_MS / 1000} s`
    : lastLine(result.output) || 'ffmpeg failed';
  throw new TranscriptionError('conversion-failed', `${input.name} could not be converted to WAV: ${why}`);
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}
