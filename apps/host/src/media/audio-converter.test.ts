import fs from 'node:fs';
import path from 'node:path';
import { findHostBinary } from '@nanoclaw/container-runner';
import { createFakeTranscriptionServer, createTempDirs, memoryLogger } from '@nanoclaw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createHostFfmpegConverter } from './audio-converter.js';
import { createTranscriber } from './openai-transcriber.js';
import { writeOpusNote } from './test-audio.js';
import type { TranscriptionInput } from './transcriber.js';

const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-audio-');
afterEach(cleanupTempDirs);

const ffmpeg = await findHostBinary('ffmpeg', process.env.PATH);

function inboxFile(name: string, write: (file: string) => void): TranscriptionInput {
  const dir = path.join(tempDir(), 'inbox', '2026-12-07');
  fs.mkdirSync(dir, { recursive: true });
  const hostPath = path.join(dir, `7-${name}`);
  write(hostPath);
  return { hostPath, group: { id: 'g1', folder: 'main' }, name, mimeType: 'audio/ogg' };
}

/** A real Telegram-like voice note: half a second of Opus in OGG, made by the host's ffmpeg. */
function opusNote(): TranscriptionInput {
  return inboxFile('voice.ogg', (file) => writeOpusNote(ffmpeg as string, file));
}

describe('createHostFfmpegConverter without ffmpeg', () => {
  it('says conversion is unavailable and how to get it', async () => {
    const converter = createHostFfmpegConverter({ hostPath: tempDir() });
    const note = inboxFile('voice.ogg', (file) => fs.writeFileSync(file, 'OggS'));
    await expect(converter.toWav(note)).rejects.toThrow(
      'the transcription server refused voice.ogg and there is no ffmpeg on this machine to convert it (install ffmpeg)',
    );
  });
});

// `.ci/run` installs ffmpeg on the host (the process runtime's agents use the host's tools).
describe.runIf(ffmpeg)('createHostFfmpegConverter with the host ffmpeg', () => {
  it('writes 16 kHz mono WAV next to the original', async () => {
    const note = opusNote();
    const wav = await createHostFfmpegConverter().toWav(note);
    expect(wav).toBe(`${note.hostPath}.wav`);
    const bytes = fs.readFileSync(wav);
    expect(bytes.subarray(0, 4).toString()).toBe('RIFF');
    expect(bytes.subarray(8, 12).toString()).toBe('WAVE');
    expect(bytes.readUInt16LE(22)).toBe(1); // channels
    expect(bytes.readUInt32LE(24)).toBe(16_000); // sample rate
    expect(fs.readdirSync(path.dirname(note.hostPath)).sort()).toEqual(['7-voice.ogg', '7-voice.ogg.wav']);
  });

  it('replaces a symlink left at the WAV name instead of writing through it', async () => {
    const note = opusNote();
    const outside = path.join(tempDir(), 'outside.txt');
    fs.writeFileSync(outside, 'keep me');
    fs.symlinkSync(outside, `${note.hostPath}.wav`);
    const wav = await createHostFfmpegConverter().toWav(note);
    expect(fs.lstatSync(wav).isFile()).toBe(true);
    expect(fs.readFileSync(outside, 'utf8')).toBe('keep me');
  });

  it('bytes that are not audio: a readable failure and nothing left behind', async () => {
    const note = inboxFile('voice.ogg', (file) => fs.writeFileSync(file, 'not audio at all'));
    await expect(createHostFfmpegConverter().toWav(note)).rejects.toThrow(
      /^voice\.ogg could not be converted to WAV: /,
    );
    expect(fs.readdirSync(path.dirname(note.hostPath))).toEqual(['7-voice.ogg']);
  });

  it('an endpoint that refuses OGG gets the converted WAV', async () => {
    const server = await createFakeTranscriptionServer({
      refuseFormats: ['ogg'],
      transcribe: ({ bytes, contentType }) => `${contentType} ${bytes.subarray(0, 4).toString()}`,
    });
    try {
      const transcriber = createTranscriber(
        { baseUrl: server.baseUrl },
        { logger: memoryLogger([]), converter: createHostFfmpegConverter() },
      );
      await expect(transcriber.transcribe(opusNote())).resolves.toBe('audio/wav RIFF');
    } finally {
      await server.close();
    }
  });
});
