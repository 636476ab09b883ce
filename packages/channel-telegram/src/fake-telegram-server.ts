import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createFakeWaiters } from '@nanoclaw/channel-registry/test';
import type { Chat, Message, MessageEntity, Update, User } from 'grammy/types';
import {
  badRequest,
  createFakeCardDesk,
  type FakeCallbackAnswer,
  type FakeSentCard,
  type FakeTap,
  type FakeTapInput,
  type FakeUser,
  fakeUser,
  parseInlineKeyboard,
} from './fake-telegram-cards.js';
import { parseMultipart } from './multipart.js';

/** The Bot API methods that put a message in a chat (what a 429 on "the next send" applies to). */
export const FAKE_TELEGRAM_SEND_METHODS: readonly string[] = [
  'sendMessage',
  'sendDocument',
  'sendPhoto',
  'sendVoice',
  'sendAudio',
  'editMessageText',
];

export interface FakeTelegramServerOptions {
  /** Default `123456:FAKE-token`. */
  token?: string;
  /** Default `nanoclaw_test_bot`. */
  botUsername?: string;
  /** Default 123456 (the token's prefix). */
  botId?: number;
  /** Caps a long poll's wait, whatever `timeout` the client asked for (default: no cap). */
  maxLongPollMs?: number;
}

/** A user message put on the fake platform; the server builds the `Update` around it. */
export interface FakeInboundMessage {
  chatId: number | string;
  /** Default: `private` for a positive chat id, else `supergroup`. */
  chatType?: 'private' | 'group' | 'supergroup' | 'channel';
  text?: string;
  entities?: MessageEntity[];
  /**
   * Default: a fixed user (id 4242, "Ada Lovelace"). A message in a private chat (`chatId` = the user's id) also
   * starts that user's chat with the bot, so `getChat` (and `openDirectChat`) finds it.
   */
  from?: FakeUser;
  /** Writes `@<bot username> ` before the text with a `mention` entity. */
  mentionBot?: boolean;
  /** The message this one replies to (an earlier message in the same chat, recorded by the server). */
  replyToMessageId?: number;
  document?: { name: string; mimeType: string; content: Uint8Array };
  photo?: { content: Uint8Array };
  /** A voice note as Telegram's apps record it (OGG/Opus unless `mimeType` says otherwise). */
  voice?: { content: Uint8Array; mimeType?: string; duration?: number };
  /** Forum topic id. */
  threadId?: number;
}

export interface FakeSentMessage {
  chatId: string;
  messageId: number;
  text: string;
  replyTo?: number;
  threadId?: number;
  parseMode?: string;
}

/** The Bot API upload methods the fake accepts, each with the multipart field that carries the file. */
const UPLOAD_FIELDS = {
  sendDocument: 'document',
  sendPhoto: 'photo',
  sendVoice: 'voice',
  sendAudio: 'audio',
} as const;
export type FakeUploadMethod = keyof typeof UPLOAD_FIELDS;

export interface FakeUpload {
  chatId: string;
  messageId: number;
  method: FakeUploadMethod;
  name: string;
  mimeType: string;
  content: Buffer;
  caption?: string;
}

export interface FakeRequest {
  method: string;
  params: Record<string, unknown>;
}

export interface FakeFault {
  /** Which methods it applies to; default every method. */
  methods?: readonly string[];
  errorCode: number;
  description?: string;
  /** Seconds, as `parameters.retry_after`. */
  retryAfter?: number;
  /** Let this many matching calls through first (default 0: the very next one fails). */
  afterCalls?: number;
}

export interface FakeTelegramServer {
  /** The `apiRoot` to give the client: `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly token: string;
  readonly bot: User & { username: string };
  /** Every API call, in order. */
  readonly requests: readonly FakeRequest[];
  readonly sent: readonly FakeSentMessage[];
  readonly chatActions: ReadonlyArray<{ chatId: string; action: string }>;
  readonly uploads: readonly FakeUpload[];
  readonly edits: ReadonlyArray<{ chatId: string; messageId: number; text: string }>;
  /** Queues an update with a user message; resolves a waiting long poll. */
  injectMessage(input: FakeInboundMessage): { updateId: number; message: Message };
  /** Queues any update (the server assigns `update_id`). */
  injectUpdate(update: Omit<Update, 'update_id'>): number;
  /** Queues a new update carrying an already delivered message again (same chat and message id). */
  redeliver(chatId: number | string, messageId: number): number;
  /** The highest `offset` a getUpdates call has confirmed (updates below it are gone). */
  confirmedOffset(): number;
  /** True once every update that carried this message was confirmed by a later offset. */
  isConfirmed(chatId: number | string, messageId: number): boolean;
  /** Stores a file the bot can `getFile` and download; returns its file_id. */
  addFile(content: Uint8Array, name?: string): string;
  /** The next call to a matching method fails with this error. */
  failNext(fault: FakeFault): void;
  /** Messages the bot sent with an inline keyboard (cards), in order; they are not in `sent`. */
  readonly cards: readonly FakeSentCard[];
  /** Every `answerCallbackQuery`: what the tapper was shown. */
  readonly callbackAnswers: readonly FakeCallbackAnswer[];
  /** Resolves with the first card that matches (default: any card); rejects after `timeoutMs` (15 s). */
  waitForCard(match?: (card: FakeSentCard) => boolean, timeoutMs?: number): Promise<FakeSentCard>;
  /** A user taps a button of a card: queues a `callback_query` update (any `data`, so a test may forge one). */
  tap(input: FakeTapInput): FakeTap;
  /** Queues the same callback query again (same query id, new update id), as a redelivery would. */
  replayTap(tap: Pick<FakeTap, 'queryId'>): number;
  /**
   * The user opens the bot and presses Start (without a message the adapter would see): from now on `getChat`
   * finds their private chat. Returns its chat id (the user's id).
   */
  startPrivateChat(user: FakeUser): string;
  /** True when `chatId` is the private chat of this user and the user has started the bot. */
  isDirectChat(chatId: number | string, userId: number | string): boolean;
  /** Destroys every open connection (a pending long poll included), as a network failure would. */
  dropConnections(): void;
  close(): Promise<void>;
}

interface StoredFile {
  content: Buffer;
  path: string;
  uniqueId: string;
}

interface Waiter {
  offset: number;
  limit: number;
  resolve: (updates: Update[]) => void;
}

/** A loopback Telegram Bot API server: enough of it for the adapter, recorded, with injectable faults. */
export async function createFakeTelegramServer(
  options: FakeTelegramServerOptions = {},
): Promise<FakeTelegramServer> {
  const token = options.token ?? '123456:FAKE-token';
  const botId = options.botId ?? (Number(token.split(':')[0]) || 123456);
  const bot = {
    id: botId,
    is_bot: true,
    first_name: 'NanoClaw Test',
    username: options.botUsername ?? 'nanoclaw_test_bot',
  };
  const state = createState(bot);
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      reply(res, 500, { ok: false, error_code: 500, description: String(error) }),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch) return serveFile(res, fileMatch[1] ?? '', decodeURIComponent(fileMatch[2] ?? ''));
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (match[1] !== token)
      return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = match[2] ?? '';
    const { params, files } = await readParams(req, url);
    state.requests.push({ method, params });
    const fault = takeFault(state.faults, method);
    if (fault) return reply(res, fault.errorCode, faultBody(fault));
    const result = await call(method, params, files, req);
    if (result === undefined) return; // the connection went away during a long poll
    if ('error' in result) return reply(res, result.error.error_code, { ok: false, ...result.error });
    reply(res, 200, { ok: true, result: result.ok });
  }

  function serveFile(res: http.ServerResponse, fileToken: string, filePath: string): void {
    const file = [...state.files.values()].find((f) => f.path === filePath);
    if (fileToken !== token || !file) {
      reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.content.length });
    res.end(file.content);
  }

  type CallResult = { ok: unknown } | { error: { error_code: number; description: string } } | undefined;

  async function call(
    method: string,
    params: Record<string, unknown>,
    files: Map<string, UploadedPart>,
    req: http.IncomingMessage,
  ): Promise<CallResult> {
    switch (method) {
      case 'getMe':
        return { ok: bot };
      case 'deleteWebhook':
      case 'setMyCommands':
        return { ok: true };
      case 'getUpdates':
        return getUpdates(params, req);
      case 'sendMessage':
        return sendMessage(params);
      case 'sendChatAction':
        state.chatActions.push({ chatId: String(params.chat_id), action: String(params.action) });
        return { ok: true };
      case 'sendDocument':
      case 'sendPhoto':
      case 'sendVoice':
      case 'sendAudio':
        return sendFile(method, params, files);
      case 'getFile':
        return getFile(params);
      case 'editMessageText':
        return editMessageText(params);
      case 'answerCallbackQuery':
        return state.cardDesk.answerCallbackQuery(params);
      case 'getChat':
        return getChat(params);
      default:
        return { error: { error_code: 404, description: 'Not Found: method not found' } };
    }
  }

  async function getUpdates(params: Record<string, unknown>, req: http.IncomingMessage): Promise<CallResult> {
    const offset = params.offset === undefined ? 0 : Number(params.offset);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeoutMs = Math.max(0, Number(params.timeout ?? 0)) * 1000;
    if (state.waiter) {
      state.waiter.resolve([]);
      state.waiter = undefined;
    }
    state.allowUpdates(params.allowed_updates);
    state.confirm(offset);
    const ready = state.pending(offset, limit);
    if (ready.length > 0 || timeoutMs === 0) return { ok: ready };
    return new Promise<CallResult>((resolve) => {
      const waitMs = Math.min(timeoutMs, options.maxLongPollMs ?? timeoutMs);
      const timer = setTimeout(() => finish(state.pending(offset, limit)), waitMs);
      const finish = (updates: Update[] | undefined) => {
        clearTimeout(timer);
        req.socket.off('close', onClose);
        if (state.waiter === waiter) state.waiter = undefined;
        resolve(updates === undefined ? undefined : { ok: updates });
      };
      const onClose = () => finish(undefined);
      const waiter: Waiter = { offset, limit, resolve: finish };
      state.waiter = waiter;
      req.socket.on('close', onClose);
    });
  }

  function sendMessage(params: Record<string, unknown>): CallResult {
    const text = String(params.text ?? '');
    if (text.trim() === '') return badRequest('message text is empty');
    if (text.length > 4096) return badRequest('message is too long');
    const chatId = String(params.chat_id);
    const threadId = params.message_thread_id === undefined ? undefined : Number(params.message_thread_id);
    if (params.reply_markup !== undefined) return sendCard(chatId, text, params.reply_markup, threadId);
    const message = state.botMessage(chatId, { text });
    const replyTo = replyToOf(params);
    state.sent.push({
      chatId,
      messageId: message.message_id,
      text,
      ...(replyTo === undefined ? {} : { replyTo }),
      ...(threadId === undefined ? {} : { threadId }),
      ...(typeof params.parse_mode === 'string' ? { parseMode: params.parse_mode } : {}),
    });
    return { ok: message };
  }

  function sendCard(chatId: string, text: string, markup: unknown, threadId: number | undefined): CallResult {
    const keyboard = parseInlineKeyboard(markup);
    if ('error' in keyboard) return badRequest(keyboard.error);
    const replyMarkup = typeof markup === 'string' ? JSON.parse(markup) : markup;
    const message = state.botMessage(chatId, { text, reply_markup: replyMarkup });
    state.cardDesk.record({
      chatId,
      messageId: message.message_id,
      platformMessageId: String(message.message_id),
      text,
      ...keyboard,
      ...(threadId === undefined ? {} : { threadId }),
    });
    return { ok: message };
  }

  /** Known chats only: a group the fake saw a message in, a private chat whose user started the bot. */
  function getChat(params: Record<string, unknown>): CallResult {
    const chat = state.chats.get(String(params.chat_id));
    if (!chat) return badRequest('chat not found');
    return { ok: { ...chat, accent_color_id: 0, max_reaction_count: 11, accepted_gift_types: {} } };
  }

  function sendFile(
    method: FakeUploadMethod,
    params: Record<string, unknown>,
    files: Map<string, UploadedPart>,
  ) {
    const field = UPLOAD_FIELDS[method];
    const ref = String(params[field] ?? '');
    const part = ref.startsWith('attach://') ? files.get(ref.slice('attach://'.length)) : files.get(field);
    if (!part) return badRequest(`there is no ${field} in the request`);
    const caption = typeof params.caption === 'string' ? params.caption : undefined;
    if (caption && caption.length > 1024) return badRequest('message caption is too long');
    const chatId = String(params.chat_id);
    const fileId = state.addFile(part.content, part.name);
    const media = uploadedMedia(method, fileId, part);
    const message = state.botMessage(chatId, { ...media, ...(caption ? { caption } : {}) });
    state.uploads.push({
      chatId,
      messageId: message.message_id,
      method,
      name: part.name,
      mimeType: part.mimeType,
      content: part.content,
      ...(caption ? { caption } : {}),
    });
    return { ok: message };
  }

  /** The message field a real Bot API answer carries for each upload method. */
  function uploadedMedia(method: FakeUploadMethod, fileId: string, part: UploadedPart) {
    const file = { file_id: fileId, file_unique_id: `u-${fileId}`, file_size: part.content.length };
    switch (method) {
      case 'sendPhoto':
        return { photo: [{ ...file, width: 1, height: 1 }] };
      case 'sendVoice':
        return { voice: { ...file, duration: 1, mime_type: part.mimeType } };
      case 'sendAudio':
        return { audio: { ...file, duration: 1, file_name: part.name, mime_type: part.mimeType } };
      default:
        return { document: { ...file, file_name: part.name, mime_type: part.mimeType } };
    }
  }

  function getFile(params: Record<string, unknown>): CallResult {
    const fileId = String(params.file_id ?? '');
    const file = state.files.get(fileId);
    if (!file) return badRequest('invalid file_id');
    return {
      ok: {
        file_id: fileId,
        file_unique_id: file.uniqueId,
        file_size: file.content.length,
        file_path: file.path,
      },
    };
  }

  function editMessageText(params: Record<string, unknown>): CallResult {
    const chatId = String(params.chat_id);
    const messageId = Number(params.message_id);
    const text = String(params.text ?? '');
    const message = state.messages.get(messageKey(chatId, messageId));
    if (!message) return badRequest('message to edit not found');
    state.edits.push({ chatId, messageId, text });
    return { ok: { ...message, text, edit_date: Math.floor(Date.now() / 1000) } };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    bot,
    requests: state.requests,
    sent: state.sent,
    chatActions: state.chatActions,
    uploads: state.uploads,
    edits: state.edits,
    cards: state.cardDesk.cards,
    callbackAnswers: state.cardDesk.answers,
    waitForCard: (match = () => true, timeoutMs = 15_000) => state.cardDesk.waitForCard(match, timeoutMs),
    tap: (input) => state.cardDesk.tap(input),
    replayTap: (tap) => state.cardDesk.replayTap(tap),
    startPrivateChat: (user) => state.startPrivateChat(fakeUser(user)),
    isDirectChat: (chatId, userId) =>
      String(chatId) === String(userId) && state.chats.get(String(chatId))?.type === 'private',
    injectMessage: (input) => state.injectMessage(input),
    injectUpdate: (update) => state.enqueue(update),
    redeliver(chatId, messageId) {
      const message = state.messages.get(messageKey(String(chatId), messageId));
      if (!message) throw new Error(`fake telegram: no message ${messageId} in chat ${chatId}`);
      return state.enqueue({ message } as Omit<Update, 'update_id'>);
    },
    confirmedOffset: () => state.offset,
    isConfirmed: (chatId, messageId) => state.isConfirmed(String(chatId), messageId),
    addFile: (content, name) => state.addFile(Buffer.from(content), name ?? 'file.bin'),
    failNext: (fault) => state.faults.push(fault),
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      state.waiter?.resolve([]);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function createState(bot: User & { username: string }) {
  const queue: Update[] = [];
  const deliveries = new Map<string, number[]>();
  const messages = new Map<string, Message>();
  const files = new Map<string, StoredFile>();
  let nextUpdateId = 500_000;
  let nextMessageId = 1;
  let nextFileId = 1;
  const chats = new Map<string, Chat>();
  const waiters = createFakeWaiters('fake telegram');
  const cardDesk = createFakeCardDesk({
    waiters,
    message: (chatId, messageId) => messages.get(messageKey(chatId, messageId)),
    enqueue: (update) => state.enqueue(update),
  });
  /** The update kinds the bot asked for (`allowed_updates`, remembered like Telegram does); undefined: all. */
  let allowedUpdates: readonly string[] | undefined;
  const isAllowed = (update: Update) =>
    !allowedUpdates ||
    Object.keys(update).some((key) => key !== 'update_id' && allowedUpdates?.includes(key));
  const state = {
    requests: [] as FakeRequest[],
    sent: [] as FakeSentMessage[],
    chatActions: [] as Array<{ chatId: string; action: string }>,
    uploads: [] as FakeUpload[],
    edits: [] as Array<{ chatId: string; messageId: number; text: string }>,
    faults: [] as FakeFault[],
    messages,
    files,
    chats,
    cardDesk,
    offset: 0,
    waiter: undefined as Waiter | undefined,
    confirm(offset: number) {
      if (offset <= state.offset) return;
      state.offset = offset;
      while (queue.length > 0 && (queue[0]?.update_id ?? 0) < offset) queue.shift();
    },
    pending(offset: number, limit: number): Update[] {
      return queue.filter((u) => u.update_id >= offset && isAllowed(u)).slice(0, limit);
    },
    allowUpdates(kinds: unknown) {
      const list = typeof kinds === 'string' ? (JSON.parse(kinds) as unknown) : kinds;
      if (Array.isArray(list)) allowedUpdates = list.length === 0 ? undefined : list.map(String);
    },
    enqueue(update: Omit<Update, 'update_id'>): number {
      nextUpdateId += 1;
      const full = { ...update, update_id: nextUpdateId } as Update;
      queue.push(full);
      const message = full.message;
      if (message) {
        const key = messageKey(String(message.chat.id), message.message_id);
        deliveries.set(key, [...(deliveries.get(key) ?? []), full.update_id]);
      }
      const waiter = state.waiter;
      if (waiter && full.update_id >= waiter.offset && isAllowed(full)) {
        state.waiter = undefined;
        waiter.resolve(state.pending(waiter.offset, waiter.limit));
      }
      return full.update_id;
    },
    isConfirmed(chatId: string, messageId: number): boolean {
      const ids = deliveries.get(messageKey(chatId, messageId)) ?? [];
      return ids.length > 0 && ids.every((id) => id < state.offset);
    },
    addFile(content: Buffer, name: string): string {
      const id = `file-${nextFileId++}`;
      files.set(id, {
        content,
        path: `documents/${id}-${name.replace(/[^\w.-]/g, '_')}`,
        uniqueId: `u-${id}`,
      });
      return id;
    },
    botMessage(chatId: string, content: Partial<Message>): Message {
      const message = {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: chats.get(chatId) ?? chatOf(chatId),
        from: bot,
        ...content,
      } as Message;
      messages.set(messageKey(chatId, message.message_id), message);
      return message;
    },
    injectMessage(input: FakeInboundMessage): { updateId: number; message: Message } {
      const message = userMessage(input, nextMessageId++, bot, state);
      messages.set(messageKey(String(input.chatId), message.message_id), message);
      chats.set(String(input.chatId), message.chat);
      return { updateId: state.enqueue({ message } as Omit<Update, 'update_id'>), message };
    },
    startPrivateChat(user: User): string {
      const chatId = String(user.id);
      chats.set(chatId, chatOf(chatId, 'private', user));
      return chatId;
    },
  };
  return state;
}

function userMessage(
  input: FakeInboundMessage,
  messageId: number,
  bot: User & { username: string },
  state: ReturnType<typeof createState>,
): Message {
  const from = fakeUser(input.from);
  let text = input.text ?? '';
  const entities = [...(input.entities ?? [])];
  if (input.mentionBot) {
    const mention = `@${bot.username}`;
    text = `${mention} ${text}`;
    for (const entity of entities) entity.offset += mention.length + 1;
    entities.unshift({ type: 'mention', offset: 0, length: mention.length });
  }
  const chatType = input.chatType ?? (Number(input.chatId) > 0 ? 'private' : 'supergroup');
  const message: Record<string, unknown> = {
    message_id: messageId,
    date: Math.floor(Date.now() / 1000),
    chat: chatOf(String(input.chatId), chatType, from),
    from,
  };
  if (input.threadId !== undefined)
    Object.assign(message, { message_thread_id: input.threadId, is_topic_message: true });
  const hasMedia = input.document !== undefined || input.photo !== undefined || input.voice !== undefined;
  if (text !== '') Object.assign(message, hasMedia ? { caption: text } : { text });
  if (entities.length > 0) Object.assign(message, hasMedia ? { caption_entities: entities } : { entities });
  if (input.document) {
    const { name, mimeType, content } = input.document;
    const fileId = state.addFile(Buffer.from(content), name);
    message.document = {
      file_id: fileId,
      file_unique_id: `u-${fileId}`,
      file_name: name,
      mime_type: mimeType,
      file_size: content.byteLength,
    };
  }
  if (input.photo) {
    const fileId = state.addFile(Buffer.from(input.photo.content), 'photo.jpg');
    message.photo = [
      {
        file_id: fileId,
        file_unique_id: `u-${fileId}`,
        width: 90,
        height: 90,
        file_size: input.photo.content.byteLength,
      },
    ];
  }
  if (input.voice) {
    const fileId = state.addFile(Buffer.from(input.voice.content), 'voice.oga');
    message.voice = {
      file_id: fileId,
      file_unique_id: `u-${fileId}`,
      duration: input.voice.duration ?? 1,
      mime_type: input.voice.mimeType ?? 'audio/ogg',
      file_size: input.voice.content.byteLength,
    };
  }
  if (input.replyToMessageId !== undefined) {
    const original = state.messages.get(messageKey(String(input.chatId), input.replyToMessageId));
    if (original) message.reply_to_message = original;
  }
  return message as unknown as Message;
}

/** A private chat carries its user's names; ids that are not numbers (contract ids) stay strings. */
function chatOf(chatId: string, type?: string, user?: User): Chat {
  const resolved = type ?? (Number(chatId) > 0 ? 'private' : 'supergroup');
  const id = (/^-?\d+$/.test(chatId) ? Number(chatId) : chatId) as number;
  if (resolved !== 'private') return { id, type: resolved, title: 'Contract Group' } as Chat;
  return {
    id,
    type: 'private',
    first_name: user?.first_name ?? 'Ada',
    ...(user?.last_name ? { last_name: user.last_name } : {}),
    ...(user?.username ? { username: user.username } : {}),
  };
}

function messageKey(chatId: string, messageId: number): string {
  return `${chatId}/${messageId}`;
}

interface UploadedPart {
  name: string;
  mimeType: string;
  content: Buffer;
}

async function readParams(
  req: http.IncomingMessage,
  url: URL,
): Promise<{ params: Record<string, unknown>; files: Map<string, UploadedPart> }> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const files = new Map<string, UploadedPart>();
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (body.length === 0) return { params, files };
  if (type.startsWith('application/json'))
    return { params: { ...params, ...JSON.parse(body.toString('utf8')) }, files };
  if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] = parseField(value);
  }
  if (type.startsWith('multipart/form-data')) {
    for (const part of parseMultipart(body, type)) {
      if (part.filename === undefined) params[part.name] = parseField(part.data.toString('utf8'));
      else
        files.set(part.name, {
          name: part.filename,
          mimeType: mimeTypeOf(part.filename),
          content: part.data,
        });
    }
  }
  return { params, files };
}

/** Multipart fields carry JSON for objects (reply_parameters) and plain strings otherwise. */
function parseField(value: string): unknown {
  if (value.startsWith('{') || value.startsWith('[')) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

function replyToOf(params: Record<string, unknown>): number | undefined {
  const parameters = params.reply_parameters as { message_id?: unknown } | undefined;
  if (parameters?.message_id !== undefined) return Number(parameters.message_id);
  return params.reply_to_message_id === undefined ? undefined : Number(params.reply_to_message_id);
}

function takeFault(faults: FakeFault[], method: string): FakeFault | undefined {
  const index = faults.findIndex((f) => !f.methods || f.methods.includes(method));
  const fault = faults[index];
  if (!fault) return undefined;
  if (fault.afterCalls) {
    faults[index] = { ...fault, afterCalls: fault.afterCalls - 1 };
    return undefined;
  }
  faults.splice(index, 1);
  return fault;
}

function faultBody(fault: FakeFault) {
  const description =
    fault.description ??
    (fault.errorCode === 429 ? `Too Many Requests: retry after ${fault.retryAfter ?? 1}` : 'Error');
  return {
    ok: false,
    error_code: fault.errorCode,
    description,
    ...(fault.retryAfter === undefined ? {} : { parameters: { retry_after: fault.retryAfter } }),
  };
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

const MIME_BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  csv: 'text/csv',
};

/** Like Telegram, the fake infers a file's type from its name (grammy uploads everything as octet-stream). */
function mimeTypeOf(filename: string): string {
  const extension = filename.split('.').pop()?.toLowerCase() ?? '';
  return MIME_BY_EXTENSION[extension] ?? 'application/octet-stream';
}
