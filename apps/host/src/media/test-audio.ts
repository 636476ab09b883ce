import { execFileSync } from 'node:child_process';

/** A real Telegram-like voice note at `file`: half a second of Opus in OGG, made by the host's `ffmpeg`. */
export function writeOpusNote(ffmpeg: string, file: string): void {
  const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.5'];
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', ...tone, '-c:a', 'libopus', file]);
}
