import fs from 'node:fs';
import path from 'node:path';
import type { ContainerRuntime } from '@nanoclaw/core';
import {
  createFakeTranscriptionServer,
  createTempDirs,
  type FakeTranscriptionServer,
  memoryLogger,
} from '@nanoclaw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PROVIDER_PROFILES } from '../agent-pool/profiles.js';
import type { ToolRunRequest } from '../agent-pool/types.js';
import { createConfiguredTranscriber } from './configured-transcriber.js';
import type { TranscriptionInput } from './transcriber.js';

const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-configured-transcriber-');
let server: FakeTranscriptionServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  cleanupTempDirs();
});

const runtime = (name: string) => ({ name }) as unknown as ContainerRuntime;

function note(): TranscriptionInput {
  const dir = path.join(tempDir(), 'groups', 'main', 'inbox', '2026-12-07');
  fs.mkdirSync(dir, { recursive: true });
  const hostPath = path.join(dir, '1-voice.ogg');
  fs.writeFileSync(hostPath, 'OggS not really');
  return { hostPath, group: { id: 'g1', folder: 'main' }, name: 'voice.ogg', mimeType: 'audio/ogg' };
}

describe('createConfiguredTranscriber', () => {
  it('none without TRANSCRIBE_BASE_URL', () => {
    expect(
      createConfiguredTranscriber({
        config: { TRANSCRIBE_MODEL: 'whisper-1' },
        runtime: runtime('bwrap'),
        pool: {},
        logger: memoryLogger([]),
      }),
    ).toBeUndefined();
  });

  it('uses the configured endpoint, key and model', async () => {
    server = await createFakeTranscriptionServer({ apiKey: 'k-1', transcribe: () => 'hello' });
    const transcriber = createConfiguredTranscriber({
      config: { TRANSCRIBE_BASE_URL: server.baseUrl, TRANSCRIBE_API_KEY: 'k-1', TRANSCRIBE_MODEL: 'small' },
      runtime: runtime('bwrap'),
      pool: {},
      logger: memoryLogger([]),
    });
    await expect(transcriber?.transcribe(note())).resolves.toBe('hello');
    expect(server.requests[0]).toMatchObject({ model: 'small', authorization: 'Bearer k-1' });
  });

  it('an isolating runtime converts refused audio in the group’s sandbox', async () => {
    server = await createFakeTranscriptionServer({ refuseFormats: ['ogg'] });
    const runs: ToolRunRequest[] = [];
    const transcriber = createConfiguredTranscriber({
      config: { TRANSCRIBE_BASE_URL: server.baseUrl, TRANSCRIBE_MODEL: 'whisper-1' },
      runtime: runtime('docker'),
      pool: {
        runTool: async (request) => {
          runs.push(request);
          return { code: 1, output: 'Invalid data found when processing input', timedOut: false };
        },
      },
      logger: memoryLogger([]),
    });
    await expect(transcriber?.transcribe(note())).rejects.toThrow(
      'voice.ogg could not be converted to WAV: Invalid data found when processing input',
    );
    expect(runs.map((run) => run.command[0])).toEqual(['ffmpeg']);
  });

  it('without a sandbox runtime, conversion is unavailable and says so', async () => {
    server = await createFakeTranscriptionServer({ refuseFormats: ['ogg'] });
    const transcriber = createConfiguredTranscriber({
      config: { TRANSCRIBE_BASE_URL: server.baseUrl, TRANSCRIBE_MODEL: 'whisper-1' },
      runtime: undefined,
      pool: {},
      logger: memoryLogger([]),
    });
    await expect(transcriber?.transcribe(note())).rejects.toThrow(
      'the transcription server refused voice.ogg and no sandbox is available to convert it',
    );
  });
});

describe('TRANSCRIBE_API_KEY and the sandboxes', () => {
  it('is in no provider’s sandbox env allowlist (the host alone sends it)', () => {
    for (const [provider, profile] of Object.entries(DEFAULT_PROVIDER_PROFILES))
      expect({
        provider,
        allowed: profile.envAllowlist.filter((key) => key.startsWith('TRANSCRIBE_')),
      }).toEqual({
        provider,
        allowed: [],
      });
  });
});
