/**
 * A loopback fake of the Slack platform, enough for the Slack channel: the Web API methods it calls
 * (auth.test, apps.connections.open, chat.postMessage, files.getUploadURLExternal + the upload URL +
 * files.completeUploadExternal, users.info, conversations.info, and for cards chat.postMessage with buttons,
 * chat.postEphemeral, conversations.open) and the Socket Mode WebSocket (hello, events_api and interactive
 * envelopes, acks, disconnect messages, dropped connections). Only 127.0.0.1.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  attachLoopbackWebSocketServer,
  createFakeWaiters,
  type LoopbackSocket,
  readBody,
  sendJson,
} from '@nanoclaw/channel-registry/test';
import {
  type FakeSlackCard,
  FakeSlackCards,
  type FakeSlackEphemeral,
  type FakeSlackTap,
  type FakeSlackTapInput,
} from './fake-slack-cards.js';

export interface FakeSlackUser {
  id: string;
  name: string;
  realName?: string;
  displayName?: string;
  isBot?: boolean;
}

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
  /** Users `users.info` knows (the bot is always known). */
  users?: FakeSlackUser[];
}

/** One Web API call as the fake received it. */
export interface FakeSlackCall {
  method: string;
  params: Record<string, string>;
  /** The bearer token (or the `token` param). */
  token: string | undefined;
}

/** A message the bot posted with chat.postMessage. */
export interface FakeSlackPosted {
  channel: string;
  text: string;
  threadTs?: string;
  ts: string;
}

/** A file the bot uploaded and shared (completeUploadExternal done). */
export interface FakeSlackUpload {
  fileId: string;
  filename: string;
  title?: string;
  bytes: Buffer;
  channelId?: string;
  threadTs?: string;
}

export interface FakeSlackInboundFile {
  name: string;
  mimeType: string;
  content: string | Buffer;
}

export interface FakeSlackInject {
  channel: string;
  text: string;
  /** Default `U0USER`. */
  user?: string;
  /** Default: a fresh increasing ts. */
  ts?: string;
  threadTs?: string;
  /** The user who started the thread (`parent_user_id`). */
  parentUserId?: string;
  /** Prefix the text with `<@BOT>` (and also send it as an `app_mention` when `asAppMention`). */
  mention?: boolean;
  /** Deliver as an `app_mention` event instead of `message`. */
  asAppMention?: boolean;
  /** Default `im` for a DM channel the fake opened (`directChannelOf`), else `channel`. */
  channelType?: 'channel' | 'group' | 'im' | 'mpim';
  /** Sent by a bot: sets `bot_id` (and subtype `bot_message` without a user). */
  botId?: string;
  subtype?: string;
  files?: FakeSlackInboundFile[];
}

export interface FakeSlackEvent {
  eventId: string;
  envelopeId: string;
  ts: string;
  channel: string;
  /** The Events API payload (`event_callback`). */
  payload: Record<string, unknown>;
}

export interface FakeSlack extends FakeSlackCardsApi {
  /** `http://127.0.0.1:<port>/api/`: the Web API base (`SLACK_API_URL`). */
  readonly apiUrl: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  /** `SLACK_BOT_TOKEN`, `SLACK_APP_TOKEN`, `SLACK_API_URL` for this fake. */
  env(): Record<string, string>;
  readonly calls: readonly FakeSlackCall[];
  readonly posted: readonly FakeSlackPosted[];
  readonly uploads: readonly FakeSlackUpload[];
  /** Envelope ids the client acknowledged, in order. */
  readonly acks: readonly string[];
  /** Socket Mode connections opened so far. */
  readonly connectionCount: number;
  /** Socket Mode connections open now. */
  readonly openConnections: number;
  /** Sends a message event over Socket Mode (queued until a connection is open). */
  inject(input: FakeSlackInject): FakeSlackEvent;
  /** Sends the same event again (same event_id, new envelope, retry_attempt + 1), as Slack retries. */
  redeliver(event: FakeSlackEvent): FakeSlackEvent;
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<void>;
  isAcked(envelopeId: string): boolean;
  waitForPosted(count: number, timeoutMs?: number): Promise<readonly FakeSlackPosted[]>;
  waitForConnections(count: number, timeoutMs?: number): Promise<void>;
  /**
   * After `after` more successful calls, the next `times` calls of `method` answer HTTP 429 with
   * `Retry-After: retryAfterSeconds` (whole seconds, as Slack sends it).
   */
  rateLimit(method: string, retryAfterSeconds: number, times?: number, after?: number): void;
  /** The next call of `method` answers `{ ok: false, error }`. */
  failNext(method: string, error: string): void;
  /** Sends a `disconnect` message (Slack recycling the connection); the client reconnects. */
  sendDisconnect(reason?: string): void;
  /** Destroys every Socket Mode TCP connection without a close frame. */
  dropConnections(): void;
  /** Serves a file (for inbound attachments); returns its private download URL. */
  hostFile(name: string, content: string | Buffer): string;
  close(): Promise<void>;
}

/** Cards, taps, ephemeral answers and DM channels. */
export interface FakeSlackCardsApi {
  /** Messages with buttons the bot posted, in order (not in `posted`, which holds plain messages). */
  readonly cards: readonly FakeSlackCard[];
  /** Ephemeral messages the bot posted (answers to taps), in order. */
  readonly ephemerals: readonly FakeSlackEphemeral[];
  waitForCards(count: number, timeoutMs?: number): Promise<readonly FakeSlackCard[]>;
  /** A user taps a button of a card: a `block_actions` payload in an `interactive` envelope. */
  tap(input: FakeSlackTapInput): FakeSlackTap;
  /** Slack delivers the same tap again (same payload, a new envelope). */
  replayTap(tap: FakeSlackTap): FakeSlackTap;
  /** Sends any payload as an `interactive` envelope (malformed ones too); returns the envelope id. */
  sendInteractive(payload: Record<string, unknown>): string;
  /** The bot's DM channel with this user, as conversations.open gives it (stable per user; opened if needed). */
  directChannelOf(userId: string): string;
  /** Whether `chatId` is the bot's DM channel with this user. */
  isDirectChannel(chatId: string, userId: string): boolean;
}

interface Pending {
  envelopeId: string;
  frame: string;
  /** The connection it was last sent on. */
  sentTo?: LoopbackSocket;
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? 'xoxb-fake-bot-token';
  const appToken = options.appToken ?? 'xapp-fake-app-token';
  const botUserId = options.botUserId ?? 'U0BOT';
  const botId = options.botId ?? 'B0BOT';
  const teamId = options.teamId ?? 'T0TEAM';
  const users = new Map<string, FakeSlackUser>();
  users.set(botUserId, { id: botUserId, name: 'nanoclaw', realName: 'NanoClaw', isBot: true });
  users.set('U0USER', { id: 'U0USER', name: 'alice', realName: 'Alice Example', displayName: 'alice' });
  for (const user of options.users ?? []) users.set(user.id, user);

  const calls: FakeSlackCall[] = [];
  const posted: FakeSlackPosted[] = [];
  const uploads: FakeSlackUpload[] = [];
  const acks: string[] = [];
  const rateLimits = new Map<string, { retryAfter: number; times: number; after: number }>();
  const failures = new Map<string, string>();
  const pendingUploads = new Map<string, { filename: string; length: number; bytes?: Buffer }>();
  const hostedFiles = new Map<string, Buffer>();
  const queue: Pending[] = [];
  const retries = new Map<string, number>();
  const { notify, waitUntil } = createFakeWaiters('fake Slack');
  const cards = new FakeSlackCards({
    botUserId,
    botId,
    teamId,
    nextTs: () => nextTs(),
    notify,
    waitUntil,
    sendEnvelope: (payload, type) => sendEnvelope(payload, 0, type),
  });
  let connectionCount = 0;
  let tsCounter = 0;
  let idCounter = 0;
  const baseSeconds = Math.floor(Date.now() / 1000);
  const nextTs = () =>
    `${baseSeconds + Math.floor(tsCounter / 1000)}.${String(++tsCounter % 1_000_000).padStart(6, '0')}`;
  const nextId = (prefix: string) => `${prefix}${String(++idCounter).padStart(6, '0')}`;

  const server = createServer((req, res) => {
    void handleHttp(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  const wss = attachLoopbackWebSocketServer(server, '/socket-mode', (socket) => {
    connectionCount++;
    socket.onMessage((text) => {
      try {
        const frame = JSON.parse(text) as { envelope_id?: unknown };
        if (typeof frame.envelope_id === 'string') {
          acks.push(frame.envelope_id);
          const at = queue.findIndex((p) => p.envelopeId === frame.envelope_id);
          if (at >= 0) queue.splice(at, 1);
          notify();
        }
      } catch {
        // not JSON: ignore, as Slack would
      }
    });
    socket.onClose(() => notify());
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: wss.sockets.size,
        debug_info: { host: 'fake-slack', approximate_connection_time: 3600 },
        connection_info: { app_id: 'A0APP' },
      }),
    );
    flush();
    notify();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const apiUrl = `${origin}/api/`;

  function openSocket(): LoopbackSocket | undefined {
    return [...wss.sockets].find((s) => s.open);
  }

  /**
   * Sends what this connection has not had yet. An envelope stays until acked: like Slack, the fake delivers an
   * unacknowledged envelope again on the next connection (a client that dropped a slow socket loses nothing).
   */
  function flush() {
    const socket = openSocket();
    if (!socket) return;
    for (const pending of queue) {
      if (pending.sentTo === socket) continue;
      pending.sentTo = socket;
      socket.send(pending.frame);
    }
  }

  function sendEnvelope(payload: Record<string, unknown>, retryAttempt: number, type = 'events_api'): string {
    const envelopeId = randomUUID();
    const frame = JSON.stringify({
      envelope_id: envelopeId,
      payload,
      type,
      accepts_response_payload: false,
      retry_attempt: retryAttempt,
      retry_reason: retryAttempt > 0 ? 'timeout' : '',
    });
    queue.push({ envelopeId, frame });
    flush();
    return envelopeId;
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', origin);
    const body = await readBody(req);
    if (url.pathname.startsWith('/upload/')) {
      const fileId = url.pathname.slice('/upload/'.length);
      const pending = pendingUploads.get(fileId);
      if (!pending || req.method !== 'POST') return sendJson(res, 404, { ok: false });
      pending.bytes = await extractUploadBytes(req, body);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${pending.bytes.length}`);
      return;
    }
    if (url.pathname.startsWith('/files/')) {
      const file = hostedFiles.get(url.pathname.slice('/files/'.length));
      if (!file) return sendJson(res, 404, { ok: false });
      if (req.headers.authorization !== `Bearer ${botToken}`) return sendJson(res, 403, { ok: false });
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(file);
      return;
    }
    if (!url.pathname.startsWith('/api/')) return sendJson(res, 404, { ok: false, error: 'unknown_path' });
    const method = url.pathname.slice('/api/'.length);
    const params = parseParams(req, body, url);
    const token = bearer(req) ?? params.token;
    calls.push({ method, params, token });
    notify();

    const limit = rateLimits.get(method);
    if (limit && limit.times > 0 && limit.after > 0) {
      limit.after--;
    } else if (limit && limit.times > 0) {
      limit.times--;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limit.retryAfter) });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const failure = failures.get(method);
    if (failure) {
      failures.delete(method);
      return sendJson(res, 200, { ok: false, error: failure });
    }
    if (method === 'apps.connections.open') {
      if (token !== appToken) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
      return sendJson(res, 200, {
        ok: true,
        url: `ws://127.0.0.1:${port}/socket-mode?ticket=${randomUUID()}`,
      });
    }
    if (token !== botToken) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
    const interactive = cards.handle(method, params);
    if (interactive) return sendJson(res, 200, interactive);
    switch (method) {
      case 'auth.test':
        return sendJson(res, 200, {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake Team',
          user: 'nanoclaw',
          team_id: teamId,
          user_id: botUserId,
          bot_id: botId,
        });
      case 'chat.postMessage': {
        if (!params.channel) return sendJson(res, 200, { ok: false, error: 'channel_not_found' });
        if (!params.text) return sendJson(res, 200, { ok: false, error: 'no_text' });
        if (params.text.length > 40_000) return sendJson(res, 200, { ok: false, error: 'msg_too_long' });
        const ts = nextTs();
        posted.push({
          channel: params.channel,
          text: params.text,
          ts,
          ...(params.thread_ts ? { threadTs: params.thread_ts } : {}),
        });
        notify();
        return sendJson(res, 200, {
          ok: true,
          channel: params.channel,
          ts,
          message: { type: 'message', user: botUserId, bot_id: botId, text: params.text, ts },
        });
      }
      case 'files.getUploadURLExternal': {
        const length = Number(params.length);
        if (!params.filename || !Number.isFinite(length)) {
          return sendJson(res, 200, { ok: false, error: 'invalid_arguments' });
        }
        const fileId = nextId('F');
        pendingUploads.set(fileId, { filename: params.filename, length });
        return sendJson(res, 200, { ok: true, upload_url: `${origin}/upload/${fileId}`, file_id: fileId });
      }
      case 'files.completeUploadExternal': {
        const files = JSON.parse(params.files ?? '[]') as Array<{ id: string; title?: string }>;
        const done: Array<Record<string, unknown>> = [];
        for (const file of files) {
          const pending = pendingUploads.get(file.id);
          if (!pending?.bytes) return sendJson(res, 200, { ok: false, error: 'file_not_found' });
          pendingUploads.delete(file.id);
          uploads.push({
            fileId: file.id,
            filename: pending.filename,
            bytes: pending.bytes,
            ...(file.title ? { title: file.title } : {}),
            ...(params.channel_id ? { channelId: params.channel_id } : {}),
            ...(params.thread_ts ? { threadTs: params.thread_ts } : {}),
          });
          done.push({ id: file.id, title: file.title ?? pending.filename, name: pending.filename });
        }
        notify();
        return sendJson(res, 200, { ok: true, files: done });
      }
      case 'users.info': {
        const user = users.get(params.user ?? '');
        if (!user) return sendJson(res, 200, { ok: false, error: 'user_not_found' });
        return sendJson(res, 200, {
          ok: true,
          user: {
            id: user.id,
            name: user.name,
            real_name: user.realName ?? user.name,
            is_bot: user.isBot ?? false,
            profile: { display_name: user.displayName ?? '', real_name: user.realName ?? user.name },
          },
        });
      }
      case 'conversations.info':
        return sendJson(res, 200, {
          ok: true,
          channel: { id: params.channel, name: `channel-${params.channel}`, is_channel: true, is_im: false },
        });
      default:
        return sendJson(res, 200, { ok: false, error: 'unknown_method' });
    }
  }

  const fake: FakeSlack = {
    apiUrl,
    botToken,
    appToken,
    botUserId,
    botId,
    teamId,
    env: () => ({ SLACK_BOT_TOKEN: botToken, SLACK_APP_TOKEN: appToken, SLACK_API_URL: apiUrl }),
    calls,
    posted,
    uploads,
    acks,
    get connectionCount() {
      return connectionCount;
    },
    get openConnections() {
      return [...wss.sockets].filter((s) => s.open).length;
    },
    inject(input) {
      const ts = input.ts ?? nextTs();
      const text = input.mention ? `<@${botUserId}> ${input.text}` : input.text;
      const user = input.user ?? (input.botId ? undefined : 'U0USER');
      const event: Record<string, unknown> = {
        type: input.asAppMention ? 'app_mention' : 'message',
        channel: input.channel,
        text,
        ts,
        event_ts: ts,
        channel_type: input.channelType ?? (cards.isKnownDirectChannel(input.channel) ? 'im' : 'channel'),
        ...(user ? { user } : {}),
        ...(input.user === undefined && !input.botId ? { client_msg_id: randomUUID() } : {}),
        ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
        ...(input.parentUserId ? { parent_user_id: input.parentUserId } : {}),
        ...(input.botId ? { bot_id: input.botId } : {}),
        ...(input.subtype
          ? { subtype: input.subtype }
          : input.botId && !user
            ? { subtype: 'bot_message' }
            : input.files
              ? { subtype: 'file_share' }
              : {}),
      };
      if (input.files) {
        event.files = input.files.map((file) => {
          const id = nextId('F');
          const bytes = Buffer.from(file.content);
          hostedFiles.set(`${id}/${file.name}`, bytes);
          return {
            id,
            name: file.name,
            title: file.name,
            mimetype: file.mimeType,
            size: bytes.length,
            url_private: `${origin}/files/${id}/${file.name}`,
            url_private_download: `${origin}/files/${id}/${file.name}`,
          };
        });
      }
      const eventId = nextId('Ev');
      const payload = {
        token: 'verification-token',
        team_id: teamId,
        api_app_id: 'A0APP',
        event,
        type: 'event_callback',
        event_id: eventId,
        event_time: Number(ts.split('.')[0]),
        authorizations: [{ team_id: teamId, user_id: botUserId, is_bot: true }],
      };
      const envelopeId = sendEnvelope(payload, 0);
      return { eventId, envelopeId, ts, channel: input.channel, payload };
    },
    redeliver(original) {
      const attempt = (retries.get(original.eventId) ?? 0) + 1;
      retries.set(original.eventId, attempt);
      const envelopeId = sendEnvelope(original.payload, attempt);
      return { ...original, envelopeId };
    },
    cards: cards.cards,
    ephemerals: cards.ephemerals,
    async waitForCards(count, timeoutMs = 15_000) {
      await waitUntil(() => cards.cards.length >= count, timeoutMs, `${count} card(s)`);
      return cards.cards;
    },
    tap: (input) => cards.tap(input),
    replayTap: (tap) => cards.replayTap(tap),
    sendInteractive: (payload) => cards.sendInteractive(payload),
    directChannelOf: (userId) => cards.directChannelOf(userId),
    isDirectChannel: (chatId, userId) => cards.isDirectChannel(chatId, userId),
    isAcked: (envelopeId) => acks.includes(envelopeId),
    waitForAck(envelopeId, timeoutMs = 15_000) {
      return waitUntil(() => acks.includes(envelopeId), timeoutMs, `ack of envelope ${envelopeId}`);
    },
    async waitForPosted(count, timeoutMs = 15_000) {
      await waitUntil(() => posted.length >= count, timeoutMs, `${count} posted message(s)`);
      return posted;
    },
    waitForConnections(count, timeoutMs = 15_000) {
      return waitUntil(
        () => connectionCount >= count && fake.openConnections > 0,
        timeoutMs,
        `${count} Socket Mode connection(s)`,
      );
    },
    rateLimit(method, retryAfterSeconds, times = 1, after = 0) {
      rateLimits.set(method, { retryAfter: retryAfterSeconds, times, after });
    },
    failNext(method, error) {
      failures.set(method, error);
    },
    sendDisconnect(reason = 'refresh_requested') {
      openSocket()?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-slack' } }));
    },
    dropConnections() {
      wss.terminateAll();
    },
    hostFile(name, content) {
      const id = nextId('F');
      hostedFiles.set(`${id}/${name}`, Buffer.from(content));
      return `${origin}/files/${id}/${name}`;
    },
    async close() {
      wss.terminateAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  return fake;
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

function parseParams(req: IncomingMessage, body: Buffer, url: URL): Record<string, string> {
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    const json = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    for (const [key, value] of Object.entries(json)) {
      params[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  } else {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] = value;
  }
  return params;
}

/** The upload URL takes the raw bytes or a multipart form with one file part. */
async function extractUploadBytes(req: IncomingMessage, body: Buffer): Promise<Buffer> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) return body;
  const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
  for (const value of form.values()) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return Buffer.alloc(0);
}
