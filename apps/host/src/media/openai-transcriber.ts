import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, type Logger } from '@nanoclaw/core';
import mime from 'mime-types';
import type { AudioConverter } from './audio-converter.js';
import type { Transcriber, TranscriptionInput } from './transcriber.js';
import { TranscriptionError } from './transcription-error.js';

/** What a voice note without words is transcribed as (so the prompt says it was heard, and was silent). */
export const NO_SPEECH = '(no speech)';

/** How long one request to the endpoint may take. */
export const TRANSCRIBE_TIMEOUT_MS = 120_000;

export interface TranscriberSettings {
  /** `TRANSCRIBE_BASE_URL`: the API base (`http://127.0.0.1:8000/v1`); `/audio/transcriptions` is added. */
  baseUrl: string;
  /** `TRANSCRIBE_API_KEY`: sent as `Authorization: Bearer` only when set. */
  apiKey?: string | undefined;
  /** `TRANSCRIBE_MODEL` (default `whisper-1`). */
  model?: string | undefined;
  timeoutMs?: number;
  /** Formats converted before the first try (extensions `ogg` or MIME types `audio/ogg`). */
  convertFirst?: readonly string[];
}

export interface TranscriberDeps {
  /** Converts what the endpoint refuses (absent: a refusal is the answer). */
  converter?: AudioConverter;
  logger: Logger;
  fetch?: typeof fetch;
}

type Upload = { hostPath: string; name: string; mimeType: string };
type Answer = { text: string } | { refusedFormat: string };

/**
 * An OpenAI-compatible `/audio/transcriptions` client: uploads the file (multipart `file`, `model`,
 * `response_format=json`), and when the endpoint refuses its format, converts it to 16 kHz mono WAV with
 * `converter` and tries once more. Resolves with the trimmed transcript (`NO_SPEECH` when it is empty); rejects
 * with a `TranscriptionError` a user can read, which never holds the key.
 */
export function createTranscriber(settings: TranscriberSettings, deps: TranscriberDeps): Transcriber {
  const client = new TranscriptionClient(settings, deps.fetch ?? fetch);
  const logger = deps.logger.child({ component: 'transcriber' });
  const convertFirst = (settings.convertFirst ?? []).map((format) => format.toLowerCase());
  return {
    async transcribe(input, signal) {
      const started = Date.now();
      const fields = { group: input.group.folder, file: input.name, type: input.mimeType };
      let answer: Answer = { refusedFormat: `${input.mimeType} is converted first` };
      if (!wantsConversion(input, convertFirst)) answer = await client.send(input, signal);
      if ('refusedFormat' in answer) {
        if (!deps.converter) {
          throw new TranscriptionError(
            'format-refused',
            `the transcription server refused ${input.name} (${answer.refusedFormat}) and no converter is available`,
          );
        }
        logger.info({ ...fields, reason: answer.refusedFormat }, 'converting a voice note to WAV');
        const wav = await deps.converter.toWav(input, signal);
        answer = await client.send(
          { hostPath: wav, name: `${path.parse(input.name).name}.wav`, mimeType: 'audio/wav' },
          signal,
        );
        if ('refusedFormat' in answer) {
          throw new TranscriptionError(
            'format-refused',
            `the transcription server refused ${input.name} even as WAV (${answer.refusedFormat})`,
          );
        }
      }
      const text = answer.text.trim();
      logger.info({ ...fields, ms: Date.now() - started, chars: text.length }, 'voice note transcribed');
      return text === '' ? NO_SPEECH : text;
    },
  };
}

function wantsConversion(input: TranscriptionInput, formats: readonly string[]): boolean {
  const extension = path.extname(input.name).slice(1).toLowerCase();
  return formats.includes(input.mimeType.toLowerCase()) || (extension !== '' && formats.includes(extension));
}

/** One request to the endpoint, its answer read into a transcript, a format refusal, or a readable error. */
class TranscriptionClient {
  readonly #url: string;
  readonly #origin: string;

  private readonly settings: TranscriberSettings;
  private readonly fetchFn: typeof fetch;

  constructor(settings: TranscriberSettings, fetchFn: typeof fetch) {
    this.settings = settings;
    this.fetchFn = fetchFn;
    this.#url = `${settings.baseUrl.replace(/\/+$/, '')}/audio/transcriptions`;
    this.#origin = new URL(this.#url).origin;
  }

  async send(upload: Upload, signal: AbortSignal | undefined): Promise<Answer> {
    const form = new FormData();
    form.set(
      'file',
      new Blob([new Uint8Array(await readNoFollow(upload))], { type: upload.mimeType }),
      uploadName(upload),
    );
    form.set('model', this.settings.model ?? 'whisper-1');
    form.set('response_format', 'json');
    const timeoutMs = this.settings.timeoutMs ?? TRANSCRIBE_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let body: string;
    try {
      response = await this.fetchFn(this.#url, {
        method: 'POST',
        body: form,
        headers: this.settings.apiKey ? { authorization: `Bearer ${this.settings.apiKey}` } : {},
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
      body = await response.text();
    } catch (error) {
      throw this.#failure(error, signal, timeoutMs);
    }
    return this.#read(response.status, body);
  }

  #read(status: number, body: string): Answer {
    const said = this.#redact(serverMessage(body));
    const where = `the transcription server at ${this.#origin}`;
    if (status === 401 || status === 403) {
      throw new TranscriptionError(
        'key-refused',
        this.settings.apiKey
          ? 'the transcription server refused the key (TRANSCRIBE_API_KEY)'
          : `${where} wants a key: set TRANSCRIBE_API_KEY`,
      );
    }
    if ((status === 400 || status === 415) && /format|file type|codec|decod|unsupported/i.test(said))
      return { refusedFormat: said || `HTTP ${status}` };
    if (status === 404)
      throw new TranscriptionError(
        'server-error',
        `${where} has no /audio/transcriptions (HTTP 404): is TRANSCRIBE_BASE_URL its API base, often ending in /v1?`,
      );
    if (status >= 500)
      throw new TranscriptionError(
        'server-error',
        `${where} failed (HTTP ${status}${said ? `: ${said}` : ''})`,
        {
          retryable: true,
        },
      );
    if (status >= 400)
      throw new TranscriptionError(
        'server-error',
        `${where} refused the audio (HTTP ${status}${said ? `: ${said}` : ''})`,
      );
    const text = transcriptOf(body);
    if (text === undefined)
      throw new TranscriptionError('bad-answer', `${where} answered without a transcript (HTTP ${status})`);
    return { text };
  }

  #failure(error: unknown, signal: AbortSignal | undefined, timeoutMs: number): TranscriptionError {
    if (signal?.aborted) return new TranscriptionError('cancelled', 'the transcription was cancelled');
    if (error instanceof Error && error.name === 'TimeoutError')
      return new TranscriptionError(
        'timeout',
        `the transcription server at ${this.#origin} did not answer within ${Math.round(timeoutMs / 1000)} s`,
        { retryable: true },
      );
    const cause =
      error instanceof Error && error.cause ? ` (${this.#redact(errorMessage(error.cause))})` : '';
    return new TranscriptionError(
      'unreachable',
      `the transcription server at ${this.#origin} is not reachable${cause}`,
      {
        cause: error,
        retryable: true,
      },
    );
  }

  /** A server that echoes the key back does not put it in a message. */
  #redact(text: string): string {
    const key = this.settings.apiKey;
    return key ? text.split(key).join('[redacted]') : text;
  }
}

/** The file's bytes, refusing a symlink (the inbox holds only files the host wrote). */
async function readNoFollow(upload: Upload): Promise<Buffer> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(upload.hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    return await handle.readFile();
  } catch (error) {
    throw new TranscriptionError(
      'unreadable-file',
      `${upload.name} could not be read: ${errorMessage(error)}`,
    );
  } finally {
    await handle?.close();
  }
}

/** Endpoints judge the format by the file name's extension: one that names the sniffed type. */
function uploadName(upload: Upload): string {
  if (path.extname(upload.name) !== '') return upload.name;
  const extension = mime.extension(upload.mimeType);
  return extension ? `${upload.name}.${extension}` : upload.name;
}

function transcriptOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { text?: unknown };
    return typeof parsed.text === 'string' ? parsed.text : undefined;
  } catch {
    return undefined;
  }
}

/** The API's own words from an error body (`{"error":{"message":…}}`, `{"detail":…}`), else its start. */
function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as {
      error?: { message?: unknown } | string;
      message?: unknown;
      detail?: unknown;
    };
    const candidates = [
      typeof parsed.error === 'string' ? parsed.error : parsed.error?.message,
      parsed.message,
      parsed.detail,
    ];
    const found = candidates.find((value): value is string => typeof value === 'string');
    if (found) return found.slice(0, 300);
  } catch {
    // not JSON: its text
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 300);
}
