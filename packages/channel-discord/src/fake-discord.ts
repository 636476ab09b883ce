/**
 * A loopback fake of the Discord platform, enough for discord.js and the Discord channel: the REST API v10
 * (`/gateway/bot`, `/users/@me`, `/channels/:id`, messages with multipart attachments and `enforce_nonce`,
 * typing, 429 with `retry_after` JSON and rate-limit headers) and the gateway WebSocket (HELLO, IDENTIFY →
 * READY + GUILD_CREATE, heartbeats and acks, RESUME with replay, RECONNECT, INVALID_SESSION, forced closes
 * and dropped connections), cards (messages with buttons), button taps as INTERACTION_CREATE with their
 * ephemeral answers through the interaction callback, and DM channels. Only 127.0.0.1.
 */
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
  buttonInteractionPayload,
  buttonsOf,
  componentsError,
  dmChannelPayload,
  type FakeDiscordCard,
  type FakeDiscordInteractionAnswer,
  type FakeDiscordPlace,
  type FakeDiscordTap,
  type FakeDiscordTapInput,
  fakeMember,
} from './fake-discord-interactions.js';

const DISCORD_EPOCH = 1_420_070_400_000n;

export interface FakeDiscordChannel {
  id: string;
  name?: string;
}

export interface FakeDiscordThread {
  id: string;
  parentId: string;
  name?: string;
  /** Who started the thread (the bot, to test replies in its own threads). */
  ownerId?: string;
}

export interface FakeDiscordGuild {
  id: string;
  name?: string;
  channels: FakeDiscordChannel[];
  threads?: FakeDiscordThread[];
}

export interface FakeDiscordOptions {
  token?: string;
  botUserId?: string;
  botUsername?: string;
  applicationId?: string;
  /** Default: one guild (`300000000000000001`) with text channels `400000000000000001` and `400000000000000002` and a thread under the first. */
  guilds?: FakeDiscordGuild[];
  /** HELLO heartbeat_interval. Default 41,250 ms. */
  heartbeatIntervalMs?: number;
}

export interface FakeDiscordRequest {
  method: string;
  /** Path below `/api/v10`, e.g. `/channels/C1/messages`. */
  path: string;
  authorization: string | undefined;
  json?: unknown;
}

export interface FakeDiscordFile {
  filename: string;
  contentType?: string;
  bytes: Buffer;
}

/** A message the bot created through REST. */
export interface FakeDiscordPosted {
  id: string;
  channelId: string;
  content: string;
  nonce?: string;
  messageReference?: { message_id?: string; channel_id?: string; fail_if_not_exists?: boolean };
  allowedMentions?: unknown;
  files: FakeDiscordFile[];
  /** The message's `components` (action rows of buttons), when it had any. */
  components?: unknown[];
}

export interface FakeDiscordInject {
  channelId: string;
  content: string;
  /** Default a user `alice` (id `200000000000000001`). */
  authorId?: string;
  authorName?: string;
  bot?: boolean;
  /** Prefix `<@bot>` and list the bot in `mentions`. */
  mention?: boolean;
  /** Makes it a reply (type 19) to this message. */
  replyTo?: { messageId: string; authorId: string; authorName?: string; content?: string };
  attachments?: Array<{ filename: string; contentType: string; content: string | Buffer }>;
  /**
   * A direct message (no guild): the channel becomes a DM channel. Default: true for a channel from
   * `directChatId` or `POST /users/@me/channels`.
   */
  dm?: boolean;
  /** Default: a fresh snowflake. */
  id?: string;
  /** Message type; default 0 (or 19 with replyTo). */
  type?: number;
}

export interface FakeDiscordFailure {
  status: number;
  /** Discord's JSON error code, e.g. 10003 Unknown Channel. */
  code: number;
  message?: string;
  after?: number;
  times?: number;
}

export interface FakeDiscordEvent {
  id: string;
  channelId: string;
  guildId?: string;
  /** The MESSAGE_CREATE `d`. */
  payload: Record<string, unknown>;
}

export interface FakeDiscord {
  /** `http://127.0.0.1:<port>/api` (`DISCORD_API_URL`; discord.js `rest.api`). */
  readonly apiUrl: string;
  readonly gatewayUrl: string;
  readonly token: string;
  readonly botUserId: string;
  readonly applicationId: string;
  /** `DISCORD_BOT_TOKEN` and `DISCORD_API_URL` for this fake. */
  env(): Record<string, string>;
  readonly requests: readonly FakeDiscordRequest[];
  readonly posted: readonly FakeDiscordPosted[];
  /** Channel ids the bot sent typing to, in order. */
  readonly typing: readonly string[];
  readonly identifies: number;
  readonly resumes: number;
  readonly heartbeats: number;
  readonly connectionCount: number;
  /** Gateway sessions READY or RESUMED right now. */
  readonly readyConnections: number;
  /** Dispatches MESSAGE_CREATE (queued until a session is ready). */
  inject(input: FakeDiscordInject): FakeDiscordEvent;
  /** Dispatches the same MESSAGE_CREATE again, as a resume replay may. */
  redeliver(event: FakeDiscordEvent): void;
  /** Messages the bot posted with buttons, in order (a card in a thread names its parent as `chatId`). */
  readonly cards: readonly FakeDiscordCard[];
  /** A person taps a card's button (or forges a `custom_id`): dispatches INTERACTION_CREATE. */
  tap(input: FakeDiscordTapInput): FakeDiscordTap;
  /** Dispatches the same INTERACTION_CREATE again (a replayed tap: same interaction id and token). */
  replayTap(tap: Pick<FakeDiscordTap, 'payload'>): void;
  /** Dispatches any INTERACTION_CREATE `d`, malformed ones included. */
  dispatchInteraction(payload: Record<string, unknown>): void;
  /** The bot's interaction callbacks, in order; a second callback for one interaction answers 40060 instead. */
  readonly interactionAnswers: readonly FakeDiscordInteractionAnswer[];
  /** The DM channel between the bot and this user (stable per user), created if needed. */
  directChatId(userId: string): string;
  /** Whether `chatId` is the DM channel between the bot and this user. */
  isDirectChatWith(chatId: string, userId: string): boolean;
  /** Dispatches THREAD_CREATE for a new thread. */
  createThread(thread: FakeDiscordThread & { guildId?: string }): void;
  waitForPosted(count: number, timeoutMs?: number): Promise<readonly FakeDiscordPosted[]>;
  waitForTyping(count: number, timeoutMs?: number): Promise<void>;
  /** Waits until `count` connections were made and one is ready again. */
  waitForReady(count: number, timeoutMs?: number): Promise<void>;
  waitForResumes(count: number, timeoutMs?: number): Promise<void>;
  /**
   * The next `times` requests matching `route` (e.g. `POST /channels/:id/messages`) answer 429 with
   * `retry_after` (seconds, may be fractional) in the JSON and `Retry-After`, and the bucket headers
   * (`X-RateLimit-Remaining: 0`, `X-RateLimit-Reset-After`), as Discord does for a per-route limit.
   */
  rateLimit(route: string, retryAfterSeconds: number, times?: number): void;
  /** After `after` (default 0) more requests, the next `times` (default 1) requests matching `route` fail. */
  failNext(route: string, failure: FakeDiscordFailure): void;
  /** Closes the gateway with a close frame (default 4000, unknown error: the client resumes). */
  closeGateway(code?: number): void;
  /** Destroys the gateway TCP connections without a close frame. */
  dropConnections(): void;
  /** Sends op 7 RECONNECT. */
  sendReconnect(): void;
  /** Sends op 9 INVALID_SESSION. */
  sendInvalidSession(resumable: boolean): void;
  /** Stops answering heartbeats (a zombie connection) until set back. */
  setHeartbeatAcks(enabled: boolean): void;
  close(): Promise<void>;
}

interface Session {
  id: string;
  seq: number;
  log: Array<{ s: number; frame: string }>;
}

interface Gateway {
  socket: LoopbackSocket;
  ready: boolean;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const token = options.token ?? 'ZmFrZS1ib3Q.fake.discord-token';
  const botUserId = options.botUserId ?? '100000000000000001';
  const botUsername = options.botUsername ?? 'nanoclaw';
  const applicationId = options.applicationId ?? botUserId;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
  const guilds: FakeDiscordGuild[] = options.guilds ?? [
    {
      id: '300000000000000001',
      name: 'Fake Guild',
      channels: [
        { id: '400000000000000001', name: 'general' },
        { id: '400000000000000002', name: 'random' },
      ],
      threads: [{ id: '500000000000000001', parentId: '400000000000000001', name: 'a thread' }],
    },
  ];
  const botUser = {
    id: botUserId,
    username: botUsername,
    discriminator: '0',
    global_name: null,
    bot: true,
    avatar: null,
  };

  const requests: FakeDiscordRequest[] = [];
  const posted: FakeDiscordPosted[] = [];
  const typing: string[] = [];
  const rateLimits = new Map<string, { retryAfter: number; times: number }>();
  const failures = new Map<string, Required<FakeDiscordFailure>>();
  const hostedFiles = new Map<string, Buffer>();
  const nonces = new Map<string, Record<string, unknown>>();
  const messagesById = new Map<string, Record<string, unknown>>();
  const dmChannelByUser = new Map<string, string>();
  const dmUserByChannel = new Map<string, string>();
  const interactions = new Map<string, { token: string; answered: boolean }>();
  const interactionAnswers: FakeDiscordInteractionAnswer[] = [];
  let interactionTokens = 0;
  const gateways = new Set<Gateway>();
  const pending: Array<{ t: string; d: unknown }> = [];
  const { notify, waitUntil } = createFakeWaiters('fake Discord');
  let session: Session | undefined;
  let sessionCounter = 0;
  let snowflakeCounter = 0n;
  let identifies = 0;
  let resumes = 0;
  let heartbeats = 0;
  let connectionCount = 0;
  let acksEnabled = true;
  const snowflake = () =>
    String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (snowflakeCounter++ & 0x3fffffn));

  const server = createServer((req, res) => {
    void handleHttp(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });

  const wss = attachLoopbackWebSocketServer(server, '/gateway', (socket) => {
    connectionCount++;
    const gateway: Gateway = { socket, ready: false };
    gateways.add(gateway);
    socket.onClose(() => {
      gateways.delete(gateway);
      notify();
    });
    socket.onMessage((text) => onGatewayMessage(gateway, text));
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: heartbeatIntervalMs }, s: null, t: null }));
    notify();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const gatewayUrl = `ws://127.0.0.1:${port}/gateway`;

  function readyGateway(): Gateway | undefined {
    return [...gateways].find((g) => g.ready && g.socket.open);
  }

  function dispatch(gateway: Gateway, t: string, d: unknown) {
    if (!session) return;
    const s = ++session.seq;
    const frame = JSON.stringify({ op: 0, t, s, d });
    session.log.push({ s, frame });
    if (session.log.length > 1_000) session.log.shift();
    gateway.socket.send(frame);
  }

  function dispatchOrQueue(t: string, d: unknown) {
    const gateway = readyGateway();
    if (gateway) dispatch(gateway, t, d);
    else pending.push({ t, d });
  }

  function flushPending(gateway: Gateway) {
    while (pending.length > 0) {
      const next = pending.shift()!;
      dispatch(gateway, next.t, next.d);
    }
  }

  function guildCreate(guild: FakeDiscordGuild) {
    return {
      id: guild.id,
      name: guild.name ?? `guild-${guild.id}`,
      icon: null,
      owner_id: '200000000000000099',
      unavailable: false,
      member_count: 2,
      large: false,
      joined_at: new Date().toISOString(),
      features: [],
      roles: [
        {
          id: guild.id,
          name: '@everyone',
          permissions: '1024',
          position: 0,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
          flags: 0,
        },
      ],
      emojis: [],
      stickers: [],
      members: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      channels: guild.channels.map((c, position) => ({
        id: c.id,
        type: 0,
        guild_id: guild.id,
        name: c.name ?? `channel-${c.id}`,
        position,
        permission_overwrites: [],
        parent_id: null,
        nsfw: false,
      })),
      threads: (guild.threads ?? []).map((t) => threadPayload(t, guild.id)),
    };
  }

  function threadPayload(thread: FakeDiscordThread, guildId: string) {
    return {
      id: thread.id,
      type: 11,
      guild_id: guildId,
      parent_id: thread.parentId,
      owner_id: thread.ownerId ?? '200000000000000001',
      name: thread.name ?? `thread-${thread.id}`,
      message_count: 0,
      member_count: 1,
      thread_metadata: {
        archived: false,
        auto_archive_duration: 1440,
        archive_timestamp: new Date().toISOString(),
        locked: false,
      },
    };
  }

  function onGatewayMessage(gateway: Gateway, text: string) {
    let payload: { op?: number; d?: Record<string, unknown> | number | null };
    try {
      payload = JSON.parse(text) as typeof payload;
    } catch {
      gateway.socket.close(4002, 'Error while decoding payload.');
      return;
    }
    const d = typeof payload.d === 'object' && payload.d !== null ? payload.d : {};
    switch (payload.op) {
      case 1:
        heartbeats++;
        if (acksEnabled) gateway.socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
        notify();
        return;
      case 2: {
        if (d.token !== token) {
          gateway.socket.close(4004, 'Authentication failed.');
          return;
        }
        identifies++;
        session = { id: `session-${++sessionCounter}`, seq: 0, log: [] };
        gateway.ready = true;
        dispatch(gateway, 'READY', {
          v: 10,
          user: botUser,
          guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
          session_id: session.id,
          session_type: 'normal',
          resume_gateway_url: `ws://127.0.0.1:${port}/gateway-resume`,
          shard: [0, 1],
          application: { id: applicationId, flags: 0 },
          private_channels: [],
          relationships: [],
          user_settings: {},
        });
        for (const guild of guilds) dispatch(gateway, 'GUILD_CREATE', guildCreate(guild));
        flushPending(gateway);
        notify();
        return;
      }
      case 6: {
        const current = session;
        if (d.token !== token) {
          gateway.socket.close(4004, 'Authentication failed.');
          return;
        }
        if (!current || d.session_id !== current.id) {
          gateway.socket.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
          return;
        }
        resumes++;
        gateway.ready = true;
        const from = typeof d.seq === 'number' ? d.seq : 0;
        for (const entry of current.log) if (entry.s > from) gateway.socket.send(entry.frame);
        dispatch(gateway, 'RESUMED', {});
        flushPending(gateway);
        notify();
        return;
      }
      default:
        return;
    }
  }

  function routeOf(method: string, path: string): string {
    return `${method} ${path.replace(/\/(channels|users|guilds|messages)\/[^/]+/g, '/$1/:id')}`;
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    if (url.pathname.startsWith('/attachments/')) {
      const file = hostedFiles.get(url.pathname);
      if (!file) return sendJson(res, 404, { message: 'Not Found', code: 0 });
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(file);
      return;
    }
    const prefix = '/api/v10';
    if (!url.pathname.startsWith(prefix)) return sendJson(res, 404, { message: '404: Not Found', code: 0 });
    const path = url.pathname.slice(prefix.length);
    const { json, files } = await parseBody(req, body);
    const authorization = req.headers.authorization;
    requests.push({ method, path, authorization, ...(json === undefined ? {} : { json }) });
    notify();
    // Interaction callbacks carry the interaction's token in the path instead of the bot token.
    const callback = /^\/interactions\/([^/]+)\/([^/]+)\/callback$/.exec(path);
    if (method === 'POST' && callback)
      return answerInteraction(res, callback[1] ?? '', callback[2] ?? '', json);
    if (authorization !== `Bot ${token}`)
      return sendJson(res, 401, { message: '401: Unauthorized', code: 0 });

    const route = routeOf(method, path);
    const limit = rateLimits.get(route);
    if (limit && limit.times > 0) {
      limit.times--;
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(limit.retryAfter),
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset-after': String(limit.retryAfter),
        'x-ratelimit-bucket': `bucket-${route}`,
        'x-ratelimit-scope': 'user',
      });
      res.end(
        JSON.stringify({
          message: 'You are being rate limited.',
          retry_after: limit.retryAfter,
          global: false,
        }),
      );
      return;
    }
    const failure = failures.get(route);
    if (failure && failure.after > 0) {
      failure.after--;
    } else if (failure && failure.times > 0) {
      failure.times--;
      return sendJson(res, failure.status, { message: failure.message, code: failure.code });
    }

    if (method === 'GET' && path === '/gateway/bot') {
      return sendJson(res, 200, {
        url: gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
      });
    }
    if (method === 'GET' && path === '/gateway') return sendJson(res, 200, { url: gatewayUrl });
    if (method === 'GET' && path === '/users/@me') return sendJson(res, 200, botUser);
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = (json as { recipient_id?: unknown } | undefined)?.recipient_id;
      if (typeof recipient !== 'string' || recipient === '') {
        return sendJson(res, 400, { message: 'Invalid Form Body', code: 50035 });
      }
      return sendJson(res, 200, dmChannelPayload(directChatId(recipient), recipient));
    }
    const channelMatch = /^\/channels\/([^/]+)(\/.*)?$/.exec(path);
    if (channelMatch) {
      const channelId = channelMatch[1] ?? '';
      const rest = channelMatch[2] ?? '';
      if (method === 'GET' && rest === '') {
        for (const guild of guilds) {
          const channel = guild.channels.find((c) => c.id === channelId);
          if (channel)
            return sendJson(
              res,
              200,
              guildCreate(guild).channels.find((c) => c.id === channelId),
            );
          const thread = guild.threads?.find((t) => t.id === channelId);
          if (thread) return sendJson(res, 200, threadPayload(thread, guild.id));
        }
        return sendJson(res, 404, { message: 'Unknown Channel', code: 10003 });
      }
      if (method === 'POST' && rest === '/typing') {
        typing.push(channelId);
        notify();
        res.writeHead(204);
        res.end();
        return;
      }
      if (method === 'POST' && rest === '/messages') {
        const payload = (json ?? {}) as Record<string, unknown>;
        const content = typeof payload.content === 'string' ? payload.content : '';
        if (content.length > 2000) {
          return sendJson(res, 400, {
            message: 'Invalid Form Body',
            code: 50035,
            errors: {
              content: {
                _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }],
              },
            },
          });
        }
        const components = payload.components;
        const invalidComponents = components === undefined ? undefined : componentsError(components);
        if (invalidComponents) {
          return sendJson(res, 400, {
            message: 'Invalid Form Body',
            code: 50035,
            errors: { components: { _errors: [{ code: 'COMPONENT_INVALID', message: invalidComponents }] } },
          });
        }
        if (content === '' && files.length === 0 && components === undefined) {
          return sendJson(res, 400, { message: 'Cannot send an empty message', code: 50006 });
        }
        const nonce = typeof payload.nonce === 'string' ? payload.nonce : undefined;
        if (nonce && payload.enforce_nonce === true) {
          const existing = nonces.get(`${channelId}:${nonce}`);
          if (existing) return sendJson(res, 200, existing);
        }
        const id = snowflake();
        const reference = payload.message_reference as FakeDiscordPosted['messageReference'] | undefined;
        posted.push({
          id,
          channelId,
          content,
          files,
          ...(nonce ? { nonce } : {}),
          ...(reference ? { messageReference: reference } : {}),
          ...(payload.allowed_mentions === undefined ? {} : { allowedMentions: payload.allowed_mentions }),
          ...(Array.isArray(components) ? { components } : {}),
        });
        const message = {
          id,
          channel_id: channelId,
          type: reference ? 19 : 0,
          content,
          author: botUser,
          timestamp: new Date().toISOString(),
          edited_timestamp: null,
          tts: false,
          mention_everyone: false,
          mentions: [],
          mention_roles: [],
          attachments: files.map((f) => ({
            id: snowflake(),
            filename: f.filename,
            size: f.bytes.length,
            url: `${origin}/attachments/x/${f.filename}`,
            proxy_url: '',
          })),
          embeds: [],
          pinned: false,
          ...(nonce ? { nonce } : {}),
          ...(Array.isArray(components) ? { components } : {}),
        };
        if (nonce) nonces.set(`${channelId}:${nonce}`, message);
        messagesById.set(id, message);
        notify();
        return sendJson(res, 200, message);
      }
    }
    return sendJson(res, 404, { message: '404: Not Found', code: 0 });
  }

  function guildOf(channelId: string): { guildId: string; isThread: boolean } | undefined {
    for (const guild of guilds) {
      if (guild.channels.some((c) => c.id === channelId)) return { guildId: guild.id, isThread: false };
      if (guild.threads?.some((t) => t.id === channelId)) return { guildId: guild.id, isThread: true };
    }
    return undefined;
  }

  function answerInteraction(res: ServerResponse, id: string, interactionToken: string, json: unknown) {
    const interaction = interactions.get(id);
    if (!interaction || interaction.token !== interactionToken) {
      return sendJson(res, 404, { message: 'Unknown interaction', code: 10062 });
    }
    if (interaction.answered) {
      return sendJson(res, 400, { message: 'Interaction has already been acknowledged.', code: 40060 });
    }
    interaction.answered = true;
    const body = (json ?? {}) as { type?: unknown; data?: { content?: unknown; flags?: unknown } };
    interactionAnswers.push({
      interactionId: id,
      type: Number(body.type),
      content: typeof body.data?.content === 'string' ? body.data.content : '',
      ephemeral: (Number(body.data?.flags ?? 0) & 64) === 64,
    });
    notify();
    res.writeHead(204);
    res.end();
  }

  function directChatId(userId: string): string {
    const existing = dmChannelByUser.get(userId);
    if (existing) return existing;
    const channelId = snowflake();
    dmChannelByUser.set(userId, channelId);
    dmUserByChannel.set(channelId, userId);
    return channelId;
  }

  function placeOf(channelId: string): FakeDiscordPlace | undefined {
    const userId = dmUserByChannel.get(channelId);
    if (userId) return { kind: 'dm', channelId, userId };
    for (const guild of guilds) {
      if (guild.channels.some((c) => c.id === channelId))
        return { kind: 'guild', guildId: guild.id, channelId };
      const thread = guild.threads?.find((t) => t.id === channelId);
      if (thread) return { kind: 'guild', guildId: guild.id, channelId, threadParentId: thread.parentId };
    }
    return undefined;
  }

  function cardOf(post: FakeDiscordPosted): FakeDiscordCard {
    const place = placeOf(post.channelId);
    const parentId = place?.kind === 'guild' ? place.threadParentId : undefined;
    return {
      chatId: parentId ?? post.channelId,
      ...(parentId ? { threadId: post.channelId } : {}),
      platformMessageId: post.id,
      text: post.content,
      ...buttonsOf(post.components),
    };
  }

  function registerInteraction(payload: Record<string, unknown>) {
    const { id, token: interactionToken } = payload;
    if (typeof id === 'string' && typeof interactionToken === 'string' && !interactions.has(id)) {
      interactions.set(id, { token: interactionToken, answered: false });
    }
  }

  async function waitForAnswer(interactionId: string, timeoutMs: number): Promise<string> {
    const answerOf = () => interactionAnswers.find((a) => a.interactionId === interactionId);
    await waitUntil(() => answerOf() !== undefined, timeoutMs, `an answer to interaction ${interactionId}`);
    return answerOf()?.content ?? '';
  }

  function tap(input: FakeDiscordTapInput): FakeDiscordTap {
    const messageId = input.card.platformMessageId;
    const message = messagesById.get(messageId);
    if (!message) throw new Error(`fake Discord: the bot posted no message ${messageId}`);
    const place = placeOf(String(message.channel_id));
    if (!place) throw new Error(`fake Discord: message ${messageId} is in no known channel`);
    const id = snowflake();
    const payload = buttonInteractionPayload({
      id,
      token: `fake-interaction-token-${++interactionTokens}`,
      applicationId,
      place,
      message,
      user: input.user,
      data: input.data,
    });
    registerInteraction(payload);
    dispatchOrQueue('INTERACTION_CREATE', payload);
    return { platformActionId: id, payload, answered: (timeoutMs = 15_000) => waitForAnswer(id, timeoutMs) };
  }

  const fake: FakeDiscord = {
    apiUrl: `${origin}/api`,
    gatewayUrl,
    token,
    botUserId,
    applicationId,
    env: () => ({ DISCORD_BOT_TOKEN: token, DISCORD_API_URL: `${origin}/api` }),
    requests,
    posted,
    typing,
    get identifies() {
      return identifies;
    },
    get resumes() {
      return resumes;
    },
    get heartbeats() {
      return heartbeats;
    },
    get connectionCount() {
      return connectionCount;
    },
    get readyConnections() {
      return [...gateways].filter((g) => g.ready && g.socket.open).length;
    },
    inject(input) {
      const id = input.id ?? snowflake();
      const dm = input.dm ?? dmUserByChannel.has(input.channelId);
      const where = dm ? undefined : guildOf(input.channelId);
      const authorId = input.authorId ?? '200000000000000001';
      const author = {
        id: authorId,
        username: input.authorName ?? 'alice',
        global_name: input.authorName ? null : 'Alice',
        discriminator: '0',
        avatar: null,
        ...(input.bot ? { bot: true } : {}),
      };
      const mentions = input.mention ? [botUser] : [];
      const attachments = (input.attachments ?? []).map((file) => {
        const attachmentId = snowflake();
        const path = `/attachments/${input.channelId}/${attachmentId}/${file.filename}`;
        const bytes = Buffer.from(file.content);
        hostedFiles.set(path, bytes);
        return {
          id: attachmentId,
          filename: file.filename,
          size: bytes.length,
          url: `${origin}${path}`,
          proxy_url: `${origin}${path}`,
          content_type: file.contentType,
        };
      });
      const payload: Record<string, unknown> = {
        id,
        channel_id: input.channelId,
        type: input.type ?? (input.replyTo ? 19 : 0),
        content: input.mention ? `<@${botUserId}> ${input.content}` : input.content,
        author,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        tts: false,
        mention_everyone: false,
        mentions,
        mention_roles: [],
        attachments,
        embeds: [],
        pinned: false,
        flags: 0,
        ...(where ? { guild_id: where.guildId, channel_type: where.isThread ? 11 : 0 } : { channel_type: 1 }),
        ...(where ? { member: fakeMember() } : {}),
      };
      if (input.replyTo) {
        const repliedAuthor = {
          id: input.replyTo.authorId,
          username:
            input.replyTo.authorName ?? (input.replyTo.authorId === botUserId ? botUsername : 'someone'),
          discriminator: '0',
          avatar: null,
          ...(input.replyTo.authorId === botUserId ? { bot: true } : {}),
        };
        payload.message_reference = {
          type: 0,
          message_id: input.replyTo.messageId,
          channel_id: input.channelId,
          ...(where ? { guild_id: where.guildId } : {}),
        };
        payload.referenced_message = {
          id: input.replyTo.messageId,
          channel_id: input.channelId,
          type: 0,
          content: input.replyTo.content ?? '',
          author: repliedAuthor,
          timestamp: new Date().toISOString(),
          edited_timestamp: null,
          tts: false,
          mention_everyone: false,
          mentions: [],
          mention_roles: [],
          attachments: [],
          embeds: [],
          pinned: false,
          ...(where ? { guild_id: where.guildId } : {}),
        };
        if (input.replyTo.authorId === botUserId) mentions.push(botUser);
      }
      dispatchOrQueue('MESSAGE_CREATE', payload);
      return { id, channelId: input.channelId, ...(where ? { guildId: where.guildId } : {}), payload };
    },
    redeliver(event) {
      dispatchOrQueue('MESSAGE_CREATE', event.payload);
    },
    get cards() {
      return posted.filter((p) => p.components !== undefined).map(cardOf);
    },
    tap,
    replayTap(previous) {
      dispatchOrQueue('INTERACTION_CREATE', previous.payload);
    },
    dispatchInteraction(payload) {
      registerInteraction(payload);
      dispatchOrQueue('INTERACTION_CREATE', payload);
    },
    interactionAnswers,
    directChatId,
    isDirectChatWith(chatId, userId) {
      return dmChannelByUser.get(userId) === chatId;
    },
    createThread(thread) {
      const guild =
        guilds.find((g) => g.id === thread.guildId) ??
        guilds.find((g) => g.channels.some((c) => c.id === thread.parentId));
      if (!guild) throw new Error(`fake Discord: no guild has channel ${thread.parentId}`);
      guild.threads = [...(guild.threads ?? []), thread];
      dispatchOrQueue('THREAD_CREATE', { ...threadPayload(thread, guild.id), newly_created: true });
    },
    async waitForPosted(count, timeoutMs = 15_000) {
      await waitUntil(() => posted.length >= count, timeoutMs, `${count} posted message(s)`);
      return posted;
    },
    waitForTyping(count, timeoutMs = 15_000) {
      return waitUntil(() => typing.length >= count, timeoutMs, `${count} typing call(s)`);
    },
    waitForReady(count, timeoutMs = 10_000) {
      return waitUntil(
        () => connectionCount >= count && fake.readyConnections > 0,
        timeoutMs,
        `${count} gateway connection(s), one ready`,
      );
    },
    waitForResumes(count, timeoutMs = 10_000) {
      return waitUntil(() => resumes >= count && fake.readyConnections > 0, timeoutMs, `${count} resume(s)`);
    },
    rateLimit(route, retryAfterSeconds, times = 1) {
      rateLimits.set(route, { retryAfter: retryAfterSeconds, times });
    },
    failNext(route, failure) {
      failures.set(route, { message: 'Error', after: 0, times: 1, ...failure });
    },
    closeGateway(code = 4000) {
      for (const gateway of gateways) {
        gateway.ready = false;
        gateway.socket.close(code, 'fake Discord closed the gateway');
      }
    },
    dropConnections() {
      for (const gateway of gateways) gateway.ready = false;
      wss.terminateAll();
    },
    sendReconnect() {
      for (const gateway of gateways) {
        gateway.ready = false;
        gateway.socket.send(JSON.stringify({ op: 7, d: null, s: null, t: null }));
      }
    },
    sendInvalidSession(resumable) {
      for (const gateway of gateways) {
        gateway.ready = false;
        gateway.socket.send(JSON.stringify({ op: 9, d: resumable, s: null, t: null }));
      }
    },
    setHeartbeatAcks(enabled) {
      acksEnabled = enabled;
    },
    async close() {
      wss.terminateAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** JSON bodies, or multipart with `payload_json` and `files[n]` parts (how Discord takes attachments). */
async function parseBody(
  req: IncomingMessage,
  body: Buffer,
): Promise<{ json: unknown; files: FakeDiscordFile[] }> {
  const type = req.headers['content-type'] ?? '';
  if (body.length === 0) return { json: undefined, files: [] };
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
    let json: unknown;
    const files: FakeDiscordFile[] = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') {
        if (name === 'payload_json') json = JSON.parse(value);
        continue;
      }
      files.push({
        filename: value.name,
        ...(value.type ? { contentType: value.type } : {}),
        bytes: Buffer.from(await value.arrayBuffer()),
      });
    }
    return { json, files };
  }
  if (type.includes('application/json')) return { json: JSON.parse(body.toString('utf8')), files: [] };
  return { json: undefined, files: [] };
}
