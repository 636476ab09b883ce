import fs from 'node:fs';
import path from 'node:path';
import {
  createFakeTranscriptionServer,
  createTempDirs,
  type FakeTranscriptionServer,
  type LogLine,
  memoryLogger,
} from '@nanoclaw/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AudioConverter } from './audio-converter.js';
import { createTranscriber, NO_SPEECH } from './openai-transcriber.js';
import type { TranscriptionInput } from './transcriber.js';

const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-transcriber-');
let server: FakeTranscriptionServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  cleanupTempDirs();
});

const OGG_BYTES = Buffer.from('OggS\u0000fake opus voice note');

function voiceNote(name = 'voice.ogg', bytes: Buffer = OGG_BYTES): TranscriptionInput {
  const dir = path.join(tempDir(), 'inbox', '2026-12-07');
  fs.mkdirSync(dir, { recursive: true });
  const hostPath = path.join(dir, `42-${name}`);
  fs.writeFileSync(hostPath, bytes);
  return { hostPath, group: { id: 'g1', folder: 'main' }, name, mimeType: 'audio/ogg' };
}

/** A converter that writes a small WAV next to the original, as the real ones do. */
function fakeConverter(): AudioConverter & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async toWav(input) {
      calls.push(input.hostPath);
      const out = `${input.hostPath}.wav`;
      fs.writeFileSync(out, Buffer.from('RIFF....WAVEfmt converted'));
      return out;
    },
  };
}

describe('createTranscriber', () => {
  it('uploads the voice note and resolves with the trimmed transcript; no key header without a key', async () => {
    server = await createFakeTranscriptionServer({ transcribe: () => '  Buy milk on the way home.\n' });
    const lines: LogLine[] = [];
    const transcriber = createTranscriber({ baseUrl: server.baseUrl }, { logger: memoryLogger(lines) });
    await expect(transcriber.transcribe(voiceNote())).resolves.toBe('Buy milk on the way home.');
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0];
    expect(request).toMatchObject({
      model: 'whisper-1',
      filename: 'voice.ogg',
      contentType: 'audio/ogg',
      responseFormat: 'json',
      authorization: undefined,
    });
    expect(request?.bytes.equals(OGG_BYTES)).toBe(true);
    expect(lines.some((line) => line.message === 'voice note transcribed')).toBe(true);
  });

  it('sends the key as a bearer token and the configured model; the base URL may end in a slash', async () => {
    server = await createFakeTranscriptionServer({ apiKey: 'sk-transcribe-secret' });
    const transcriber = createTranscriber(
      {
        baseUrl: `${server.baseUrl}/`,
        apiKey: 'sk-transcribe-secret',
        model: 'Systran/faster-whisper-small',
      },
      { logger: memoryLogger([]) },
    );
    await expect(transcriber.transcribe(voiceNote())).resolves.toMatch(/^transcript of voice\.ogg/);
    expect(server.requests[0]).toMatchObject({
      authorization: 'Bearer sk-transcribe-secret',
      model: 'Systran/faster-whisper-small',
    });
  });

  it('a refused key is named by its setting, never shown', async () => {
    server = await createFakeTranscriptionServer({ apiKey: 'the-right-key' });
    const lines: LogLine[] = [];
    const wrong = createTranscriber(
      { baseUrl: server.baseUrl, apiKey: 'sk-wrong-secret' },
      { logger: memoryLogger(lines) },
    );
    const error = await wrong.transcribe(voiceNote()).then(
      () => new Error('resolved'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toBe('the transcription server refused the key (TRANSCRIBE_API_KEY)');
    const none = createTranscriber({ baseUrl: server.baseUrl }, { logger: memoryLogger(lines) });
    await expect(none.transcribe(voiceNote())).rejects.toThrow(
      `the transcription server at http://127.0.0.1:${server.port} wants a key: set TRANSCRIBE_API_KEY`,
    );
    expect(JSON.stringify(lines)).not.toContain('sk-wrong-secret');
  });

  it('a server that is down: a rejection saying which server is not reachable', async () => {
    server = await createFakeTranscriptionServer();
    const { baseUrl, port } = server;
    await server.close();
    const transcriber = createTranscriber({ baseUrl, apiKey: 'sk-x' }, { logger: memoryLogger([]) });
    const error = await transcriber.transcribe(voiceNote()).then(
      () => new Error('resolved'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(
      new RegExp(`^the transcription server at http://127\\.0\\.0\\.1:${port} is not reachable`),
    );
    expect(error.message).not.toContain('sk-x');
  });

  it('a server error says its status', async () => {
    const fetchFn = vi.fn(
      async () => new Response('{"error":{"message":"model overloaded"}}', { status: 503 }),
    );
    const transcriber = createTranscriber(
      { baseUrl: 'http://127.0.0.1:9/v1' },
      { logger: memoryLogger([]), fetch: fetchFn as unknown as typeof fetch },
    );
    await expect(transcriber.transcribe(voiceNote())).rejects.toThrow(
      'the transcription server at http://127.0.0.1:9 failed (HTTP 503: model overloaded)',
    );
  });

  it('a request that takes too long is given up after the timeout', async () => {
    const fetchFn = (_url: unknown, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    const transcriber = createTranscriber(
      { baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 50 },
      { logger: memoryLogger([]), fetch: fetchFn as typeof fetch },
    );
    await expect(transcriber.transcribe(voiceNote())).rejects.toThrow('did not answer within 0 s');
  });

  it('an empty transcript is a voice note without speech', async () => {
    server = await createFakeTranscriptionServer({ transcribe: () => '  ' });
    const transcriber = createTranscriber({ baseUrl: server.baseUrl }, { logger: memoryLogger([]) });
    await expect(transcriber.transcribe(voiceNote())).resolves.toBe(NO_SPEECH);
  });

  it('a refused format is converted to WAV and sent once more', async () => {
    server = await createFakeTranscriptionServer({
      refuseFormats: ['ogg', 'audio/ogg'],
      transcribe: ({ filename }) => `heard ${filename}`,
    });
    const converter = fakeConverter();
    const transcriber = createTranscriber(
      { baseUrl: server.baseUrl },
      { logger: memoryLogger([]), converter },
    );
    const note = voiceNote();
    await expect(transcriber.transcribe(note)).resolves.toBe('heard voice.wav');
    expect(converter.calls).toEqual([note.hostPath]);
    expect(server.requests.map((r) => [r.status, r.filename, r.contentType])).toEqual([
      [400, 'voice.ogg', 'audio/ogg'],
      [200, 'voice.wav', 'audio/wav'],
    ]);
  });

  it('formats named to convert first skip the refused request', async () => {
    server = await createFakeTranscriptionServer();
    const converter = fakeConverter();
    const transcriber = createTranscriber(
      { baseUrl: server.baseUrl, convertFirst: ['audio/ogg'] },
      { logger: memoryLogger([]), converter },
    );
    await transcriber.transcribe(voiceNote());
    expect(server.requests.map((r) => r.filename)).toEqual(['voice.wav']);
  });

  it('a refused format without a converter is the answer, in words', async () => {
    server = await createFakeTranscriptionServer({ refuseFormats: ['ogg'] });
    const transcriber = createTranscriber({ baseUrl: server.baseUrl }, { logger: memoryLogger([]) });
    await expect(transcriber.transcribe(voiceNote())).rejects.toThrow(
      /^the transcription server refused voice\.ogg \(Invalid file format\. .*\) and no converter is available$/,
    );
  });

  it('never reads through a symlink in the inbox', async () => {
    server = await createFakeTranscriptionServer();
    const note = voiceNote();
    const secret = path.join(tempDir(), 'secret.txt');
    fs.writeFileSync(secret, 'host secret');
    fs.rmSync(note.hostPath);
    fs.symlinkSync(secret, note.hostPath);
    const transcriber = createTranscriber({ baseUrl: server.baseUrl }, { logger: memoryLogger([]) });
    await expect(transcriber.transcribe(note)).rejects.toThrow(/^voice\.ogg could not be read/);
    expect(server.requests).toHaveLength(0);
  });
});
