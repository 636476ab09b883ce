import { errorMessage } from '@nanoclaw/core';
import type { HostConfig } from '../../config.js';
import { type DoctorCheck, fail, info, ok, warn } from './doctor-check.js';

const NAME = 'voice transcription';
const DEFAULT_TIMEOUT_MS = 5_000;

export interface TranscriptionCheckOptions {
  config: Pick<HostConfig, 'TRANSCRIBE_BASE_URL' | 'TRANSCRIBE_API_KEY' | 'TRANSCRIBE_MODEL'>;
  fetch: typeof fetch;
  timeoutMs?: number;
}

/**
 * Whether voice notes are transcribed: not configured is fine (they reach the agent as audio files) and says
 * how to set one up; configured, the endpoint is asked a request without audio (it spends nothing: a working
 * server refuses it with 400/422), which tells reachable, key refused and a wrong base URL apart.
 */
export async function checkTranscription(options: TranscriptionCheckOptions): Promise<DoctorCheck> {
  const { config } = options;
  if (!config.TRANSCRIBE_BASE_URL) {
    return info(
      NAME,
      'not configured: voice notes reach the agent as audio files only',
      'to transcribe them, set TRANSCRIBE_BASE_URL=http://127.0.0.1:8000/v1 for a local OpenAI-compatible whisper server (and TRANSCRIBE_API_KEY if it needs one)',
    );
  }
  const url = `${config.TRANSCRIBE_BASE_URL.replace(/\/+$/, '')}/audio/transcriptions`;
  const key = config.TRANSCRIBE_API_KEY ? 'with TRANSCRIBE_API_KEY' : 'without a key';
  const form = new FormData();
  form.set('model', config.TRANSCRIBE_MODEL);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let status: number;
  const started = Date.now();
  try {
    const response = await options.fetch(url, {
      method: 'POST',
      body: form,
      headers: config.TRANSCRIBE_API_KEY ? { authorization: `Bearer ${config.TRANSCRIBE_API_KEY}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    await response.body?.cancel();
  } catch (error) {
    const cause = error instanceof Error && error.cause ? errorMessage(error.cause) : errorMessage(error);
    return fail(
      NAME,
      `${url} is not reachable: ${cause}\nvoice notes reach the agent as audio files, with a note that transcription failed`,
      'start the transcription server, or fix TRANSCRIBE_BASE_URL in .env',
      false,
    );
  }
  const answered = `POST ${url} answered ${status} in ${Date.now() - started} ms (${key}, model ${config.TRANSCRIBE_MODEL})`;
  if (status === 401 || status === 403)
    return fail(NAME, `the key was refused: ${answered}`, 'set a valid TRANSCRIBE_API_KEY in .env', false);
  if (status === 404 || status === 405)
    return warn(NAME, answered, 'is TRANSCRIBE_BASE_URL the API base of the server (often ending in /v1)?');
  if (status >= 500) return fail(NAME, answered, 'the transcription server fails: see its log', false);
  return ok(NAME, `reachable: ${answered} to a request without audio`);
}
