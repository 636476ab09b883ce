import { afterEach, describe, expect, it } from 'vitest';
import { createFakeTranscriptionServer, type FakeTranscriptionServer } from './fake-transcription-server.js';

let server: FakeTranscriptionServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function upload(
  name: string,
  type: string,
  bytes: Uint8Array,
  fields: Record<string, string> = {},
): FormData {
  const form = new FormData();
  form.set('file', new Blob([bytes], { type }), name);
  form.set('model', 'whisper-1');
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  return form;
}

describe('createFakeTranscriptionServer', () => {
  it('answers the transcript of the uploaded bytes and records the upload', async () => {
    server = await createFakeTranscriptionServer({
      transcribe: ({ bytes, filename }) => `${filename}: ${bytes.toString('hex')}`,
    });
    const bytes = new Uint8Array([0, 1, 2, 0xff, 0xfe]);
    const response = await fetch(`${server.baseUrl}/audio/transcriptions`, {
      method: 'POST',
      body: upload('voice.ogg', 'audio/ogg', bytes, { response_format: 'json' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ text: 'voice.ogg: 000102fffe' });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      model: 'whisper-1',
      filename: 'voice.ogg',
      contentType: 'audio/ogg',
      responseFormat: 'json',
      authorization: undefined,
      status: 200,
    });
    expect([...(server.requests[0]?.bytes ?? [])]).toEqual([...bytes]);
  });

  it('refuses a configured format with OpenAI’s 400 "Invalid file format"', async () => {
    server = await createFakeTranscriptionServer({ refuseFormats: ['ogg'] });
    const refused = await fetch(`${server.baseUrl}/audio/transcriptions`, {
      method: 'POST',
      body: upload('voice.ogg', 'audio/ogg', new Uint8Array([1])),
    });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^Invalid file format/);
    const accepted = await fetch(`${server.baseUrl}/audio/transcriptions`, {
      method: 'POST',
      body: upload('voice.wav', 'audio/wav', new Uint8Array([1])),
    });
    expect(accepted.status).toBe(200);
  });

  it('asks for its key when given one', async () => {
    server = await createFakeTranscriptionServer({ apiKey: 'sk-test' });
    const url = `${server.baseUrl}/audio/transcriptions`;
    const without = await fetch(url, {
      method: 'POST',
      body: upload('a.wav', 'audio/wav', new Uint8Array([1])),
    });
    expect(without.status).toBe(401);
    const withKey = await fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test' },
      body: upload('a.wav', 'audio/wav', new Uint8Array([1])),
    });
    expect(withKey.status).toBe(200);
    expect(server.requests.map((r) => r.authorization)).toEqual([undefined, 'Bearer sk-test']);
  });

  it('refuses connections once closed (a server that is down)', async () => {
    server = await createFakeTranscriptionServer();
    const url = `${server.baseUrl}/audio/transcriptions`;
    await server.close();
    await expect(
      fetch(url, { method: 'POST', body: upload('a.wav', 'audio/wav', new Uint8Array([1])) }),
    ).rejects.toThrow();
  });
});
