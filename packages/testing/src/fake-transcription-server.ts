/**
 * The loopback fake of an OpenAI-compatible speech-to-text endpoint (OpenAI, a local whisper server):
 * `POST /v1/audio/transcriptions` with a multipart upload (`file`, `model`, `response_format`), answered with
 * `{ text }`. It records every upload, can refuse formats the way OpenAI does (400 "Invalid file format"), ask
 * for a key (401), and be stopped to play a server that is down. node:http (through the shared kit) only.
 */
import type { ServerResponse } from 'node:http';
import {
  createRequestLog,
  errorMessage,
  type FakeRequestHandler,
  type IncomingFakeRequest,
  missingKey,
  openAiErrorBody,
  sendJson,
  startFakeHttpServer,
} from './fake-server-kit.js';

/** What the client uploaded. */
export interface FakeTranscriptionUpload {
  bytes: Buffer;
  /** The multipart file's name (`voice.ogg`). */
  filename: string | undefined;
  /** The multipart file's content type (`audio/ogg`). */
  contentType: string | undefined;
  model: string | undefined;
}

/** One request as the fake saw it, and what it answered. */
export interface FakeTranscriptionRequest extends FakeTranscriptionUpload {
  at: number;
  method: string;
  path: string;
  responseFormat: string | undefined;
  /** The `authorization` header as sent (tests check a key went, or did not). */
  authorization: string | undefined;
  status: number;
  /** The transcript answered (200 only). */
  text?: string;
}

export interface FakeTranscriptionServerOptions {
  /** The transcript of an upload (default: `transcript of <filename> (<bytes> bytes)`). */
  transcribe?: (upload: FakeTranscriptionUpload) => string | Promise<string>;
  /**
   * Formats refused with 400 "Invalid file format": file extensions (`ogg`) or content types (`audio/ogg`),
   * matched against the upload's file name and type.
   */
  refuseFormats?: readonly string[];
  /** When set, a request without `Authorization: Bearer <apiKey>` gets 401. */
  apiKey?: string;
}

export interface FakeTranscriptionServer {
  readonly port: number;
  /** The base URL a client is configured with: `http://127.0.0.1:<port>/v1`. */
  readonly baseUrl: string;
  readonly requests: readonly FakeTranscriptionRequest[];
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly FakeTranscriptionRequest[]>;
  /** Stops the server (its port refuses connections from now on: a server that is down). */
  close(): Promise<void>;
}

/** The formats OpenAI's endpoint lists in its refusal. */
const SUPPORTED = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];

/** Starts the fake on `127.0.0.1:<random port>`. */
export async function createFakeTranscriptionServer(
  options: FakeTranscriptionServerOptions = {},
): Promise<FakeTranscriptionServer> {
  const requestLog = createRequestLog<FakeTranscriptionRequest>('fake transcription server');
  const transcribe =
    options.transcribe ??
    ((upload: FakeTranscriptionUpload) =>
      `transcript of ${upload.filename ?? 'audio'} (${upload.bytes.length} bytes)`);
  const refused = (options.refuseFormats ?? []).map((format) => format.toLowerCase());

  const handle: FakeRequestHandler = async (request, res) => {
    const form = await parseForm(request);
    const file = form?.get('file');
    const upload: FakeTranscriptionUpload = {
      bytes: file instanceof Blob ? Buffer.from(await file.arrayBuffer()) : Buffer.alloc(0),
      filename: file instanceof File ? file.name : undefined,
      contentType: file instanceof Blob && file.type !== '' ? file.type : undefined,
      model: stringField(form, 'model'),
    };
    const entry: FakeTranscriptionRequest = {
      ...upload,
      at: Date.now(),
      method: request.method,
      path: request.path,
      responseFormat: stringField(form, 'response_format'),
      authorization: request.headers.authorization,
      status: 200,
    };
    const answer = (status: number, payload: unknown) => {
      entry.status = status;
      requestLog.log(entry);
      sendJson(res, status, payload);
    };
    if (request.method !== 'POST' || request.path !== '/v1/audio/transcriptions')
      return answer(404, openAiErrorBody(404, `no route ${request.method} ${request.path}`));
    const keyProblem = missingKey(request.headers, options.apiKey);
    if (keyProblem) return answer(401, openAiErrorBody(401, keyProblem));
    if (!(file instanceof Blob))
      return answer(400, openAiErrorBody(400, "a multipart 'file' field is required"));
    if (isRefused(upload, refused)) {
      const message = `Invalid file format. Supported formats: ${JSON.stringify(SUPPORTED.filter((f) => !refused.includes(f)))}`;
      return answer(400, openAiErrorBody(400, message));
    }
    entry.text = await transcribe(upload);
    answer(200, { text: entry.text });
  };

  const http = await startFakeHttpServer(handle, (res: ServerResponse, error: unknown) =>
    sendJson(res, 500, openAiErrorBody(500, `fake transcription server bug: ${errorMessage(error)}`)),
  );
  return {
    port: http.port,
    baseUrl: `http://127.0.0.1:${http.port}/v1`,
    requests: requestLog.requests,
    waitForRequests: requestLog.waitForRequests,
    async close() {
      if (requestLog.closed) return;
      requestLog.close();
      await http.close();
    },
  };
}

/** The multipart body through undici's own parser (what a real server's framework does); undefined if not one. */
async function parseForm(request: IncomingFakeRequest): Promise<FormData | undefined> {
  const type = request.headers['content-type'];
  if (!type?.startsWith('multipart/form-data')) return undefined;
  try {
    return await new Request('http://fake.invalid/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: request.bytes,
    }).formData();
  } catch {
    return undefined;
  }
}

function stringField(form: FormData | undefined, name: string): string | undefined {
  const value = form?.get(name);
  return typeof value === 'string' ? value : undefined;
}

function isRefused(upload: FakeTranscriptionUpload, refused: readonly string[]): boolean {
  const extension = upload.filename?.split('.').at(-1)?.toLowerCase();
  const type = upload.contentType?.toLowerCase().split(';')[0]?.trim();
  return (
    (extension !== undefined && refused.includes(extension)) || (type !== undefined && refused.includes(type))
  );
}
