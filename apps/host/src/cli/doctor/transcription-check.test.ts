import { createFakeTranscriptionServer } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { checkTranscription } from './transcription-check.js';

const config = (extra: { TRANSCRIBE_BASE_URL?: string; TRANSCRIBE_API_KEY?: string } = {}) => ({
  TRANSCRIBE_MODEL: 'whisper-1',
  ...extra,
});

describe('checkTranscription', () => {
  it('not configured: fine, and says how to set one up', async () => {
    const check = await checkTranscription({ config: config(), fetch });
    expect(check).toEqual({
      name: 'voice transcription',
      status: 'info',
      detail: 'not configured: voice notes reach the agent as audio files only',
      hint: 'to transcribe them, set TRANSCRIBE_BASE_URL=http://127.0.0.1:8000/v1 for a local OpenAI-compatible whisper server (and TRANSCRIBE_API_KEY if it needs one)',
    });
  });

  it('configured and up: reachable, without spending a transcription', async () => {
    const server = await createFakeTranscriptionServer();
    try {
      const check = await checkTranscription({
        config: config({ TRANSCRIBE_BASE_URL: server.baseUrl }),
        fetch,
      });
      expect(check.status).toBe('ok');
      expect(check.detail).toMatch(
        new RegExp(
          `^reachable: POST ${server.baseUrl}/audio/transcriptions answered 400 in \\d+ ms \\(without a key, model whisper-1\\)`,
        ),
      );
      expect(server.requests.every((request) => request.text === undefined)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a refused key fails, naming the setting and never the key', async () => {
    const server = await createFakeTranscriptionServer({ apiKey: 'right' });
    try {
      const check = await checkTranscription({
        config: config({ TRANSCRIBE_BASE_URL: server.baseUrl, TRANSCRIBE_API_KEY: 'sk-wrong-one' }),
        fetch,
      });
      expect(check.status).toBe('fail');
      expect(check.detail).toMatch(/^the key was refused: .* answered 401/);
      expect(check.hint).toBe('set a valid TRANSCRIBE_API_KEY in .env');
      expect(JSON.stringify(check)).not.toContain('sk-wrong-one');
    } finally {
      await server.close();
    }
  });

  it('down: a failure that does not stop the host', async () => {
    const server = await createFakeTranscriptionServer();
    await server.close();
    const check = await checkTranscription({
      config: config({ TRANSCRIBE_BASE_URL: server.baseUrl }),
      fetch,
    });
    expect(check).toMatchObject({
      status: 'fail',
      blocking: false,
      hint: 'start the transcription server, or fix TRANSCRIBE_BASE_URL in .env',
    });
    expect(check.detail).toContain(`${server.baseUrl}/audio/transcriptions is not reachable: `);
  });

  it('a wrong base URL (404) is a warning that asks about /v1', async () => {
    const server = await createFakeTranscriptionServer();
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const check = await checkTranscription({ config: config({ TRANSCRIBE_BASE_URL: base }), fetch });
      expect(check.status).toBe('warn');
      expect(check.hint).toContain('often ending in /v1');
    } finally {
      await server.close();
    }
  });
});
