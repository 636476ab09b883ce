import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeTelegramServer, type FakeTelegramServer } from './fake-telegram-server.js';

async function call(
  server: FakeTelegramServer,
  method: string,
  params: Record<string, unknown> = {},
  token = server.token,
) {
  const response = await fetch(`${server.url}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      ok: boolean;
      // biome-ignore lint/suspicious/noExplicitAny: loose JSON from the fake server, read field by field
      result?: any;
      description?: string;
      parameters?: { retry_after?: number };
    },
  };
}

interface UpdateJson {
  update_id: number;
  message: { text: string; message_id: number };
}

describe('fake Telegram Bot API server', () => {
  let server: FakeTelegramServer;
  beforeEach(async () => {
    server = await createFakeTelegramServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('answers getMe and refuses a wrong token with 401', async () => {
    expect((await call(server, 'getMe')).body.result).toMatchObject({
      is_bot: true,
      username: 'nanoclaw_test_bot',
    });
    expect((await call(server, 'getMe', {}, '1:nope')).status).toBe(401);
    expect((await call(server, 'noSuchMethod')).status).toBe(404);
  });

  it('serves updates from the offset and drops those below it', async () => {
    const first = server.injectMessage({ chatId: -1, text: 'one' }).updateId;
    const second = server.injectMessage({ chatId: -1, text: 'two' }).updateId;
    expect((await call(server, 'getUpdates')).body.result.map((u: UpdateJson) => u.update_id)).toEqual([
      first,
      second,
    ]);
    expect(
      (await call(server, 'getUpdates', { offset: second })).body.result.map(
        (u: UpdateJson) => u.message.text,
      ),
    ).toEqual(['two']);
    expect(server.confirmedOffset()).toBe(second);
    expect((await call(server, 'getUpdates', { offset: 0 })).body.result).toHaveLength(1);
    expect(server.isConfirmed(-1, 1)).toBe(true);
    expect(server.isConfirmed(-1, 2)).toBe(false);
  });

  it('holds a long poll until an update arrives, or until its timeout', async () => {
    const started = Date.now();
    const empty = await call(server, 'getUpdates', { timeout: 0.2 });
    expect(empty.body.result).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    const waiting = call(server, 'getUpdates', { timeout: 10 });
    setTimeout(() => server.injectMessage({ chatId: 5, text: 'wake' }), 50);
    expect((await waiting).body.result[0].message.text).toBe('wake');
  });

  it('writes a bot mention with its entity and redelivers a message under a new update id', async () => {
    const { updateId, message } = server.injectMessage({ chatId: -1, text: 'hi', mentionBot: true });
    expect(message.text).toBe('@nanoclaw_test_bot hi');
    expect(message.entities).toEqual([{ type: 'mention', offset: 0, length: 18 }]);
    const again = server.redeliver(-1, message.message_id);
    expect(again).toBeGreaterThan(updateId);
    const updates = (await call(server, 'getUpdates')).body.result;
    expect(updates.map((u: UpdateJson) => u.message.message_id)).toEqual([
      message.message_id,
      message.message_id,
    ]);
  });

  it('records sends, chat actions and edits, and refuses over-long text', async () => {
    const sent = await call(server, 'sendMessage', {
      chat_id: -1,
      text: 'hello',
      reply_parameters: { message_id: 3 },
    });
    await call(server, 'sendChatAction', { chat_id: -1, action: 'typing' });
    await call(server, 'editMessageText', {
      chat_id: -1,
      message_id: sent.body.result.message_id,
      text: 'edited',
    });
    expect((await call(server, 'sendMessage', { chat_id: -1, text: 'x'.repeat(4097) })).status).toBe(400);
    expect(server.sent).toEqual([
      { chatId: '-1', messageId: sent.body.result.message_id, text: 'hello', replyTo: 3 },
    ]);
    expect(server.chatActions).toEqual([{ chatId: '-1', action: 'typing' }]);
    expect(server.edits).toEqual([{ chatId: '-1', messageId: sent.body.result.message_id, text: 'edited' }]);
  });

  it('accepts multipart uploads and serves files through getFile', async () => {
    const form = new FormData();
    form.set('chat_id', '-1');
    form.set('caption', 'cap');
    form.set('document', new Blob([Buffer.from('data')]), 'notes.txt');
    const response = await fetch(`${server.url}/bot${server.token}/sendDocument`, {
      method: 'POST',
      body: form,
    });
    const { result } = (await response.json()) as { result: { document: { file_id: string } } };
    expect(server.uploads[0]).toMatchObject({
      chatId: '-1',
      name: 'notes.txt',
      mimeType: 'text/plain',
      caption: 'cap',
    });
    const file = (await call(server, 'getFile', { file_id: result.document.file_id })).body.result;
    const download = await fetch(`${server.url}/file/bot${server.token}/${file.file_path}`);
    expect(await download.text()).toBe('data');
  });

  it('injects a voice note the bot can download, as Telegram sends one (OGG/Opus, caption-less)', async () => {
    const { message } = server.injectMessage({
      chatId: -5,
      text: '',
      voice: { content: Buffer.from('OggS') },
    });
    expect(message.voice).toMatchObject({ mime_type: 'audio/ogg', file_size: 4, duration: 1 });
    const file = (await call(server, 'getFile', { file_id: message.voice?.file_id })).body.result;
    const download = await fetch(`${server.url}/file/bot${server.token}/${file.file_path}`);
    expect(await download.text()).toBe('OggS');
  });

  it('records voice and audio uploads with their method and bytes', async () => {
    for (const [method, field, name] of [
      ['sendVoice', 'voice', 'note.ogg'],
      ['sendAudio', 'audio', 'song.mp3'],
    ] as const) {
      const form = new FormData();
      form.set('chat_id', '-1');
      form.set(field, new Blob([Buffer.from(`${method} bytes`)]), name);
      const response = await fetch(`${server.url}/bot${server.token}/${method}`, {
        method: 'POST',
        body: form,
      });
      const { result } = (await response.json()) as { result: Record<string, unknown> };
      expect(result[field]).toMatchObject({ file_size: Buffer.byteLength(`${method} bytes`) });
    }
    expect(server.uploads.map((u) => [u.method, u.name, u.content.toString()])).toEqual([
      ['sendVoice', 'note.ogg', 'sendVoice bytes'],
      ['sendAudio', 'song.mp3', 'sendAudio bytes'],
    ]);
    const missing = await fetch(`${server.url}/bot${server.token}/sendVoice`, {
      method: 'POST',
      body: new URLSearchParams({ chat_id: '-1' }),
    });
    expect(missing.status).toBe(400);
  });

  it('injects faults: 429 with retry_after, once, for the matching methods only', async () => {
    server.failNext({ methods: ['sendMessage'], errorCode: 429, retryAfter: 7 });
    expect((await call(server, 'getMe')).status).toBe(200);
    const limited = await call(server, 'sendMessage', { chat_id: 1, text: 'a' });
    expect(limited.status).toBe(429);
    expect(limited.body.parameters?.retry_after).toBe(7);
    expect((await call(server, 'sendMessage', { chat_id: 1, text: 'a' })).status).toBe(200);
  });

  it('records a message with callback buttons as a card (not in sent) and refuses bad button data', async () => {
    const keyboard = {
      inline_keyboard: [[{ text: 'Yes', callback_data: 'y' }], [{ text: 'No', callback_data: 'n' }]],
    };
    const sent = await call(server, 'sendMessage', { chat_id: -1, text: 'Sure?', reply_markup: keyboard });
    expect(sent.body.result.reply_markup).toEqual(keyboard);
    expect(await server.waitForCard((c) => c.text === 'Sure?')).toEqual({
      chatId: '-1',
      messageId: sent.body.result.message_id,
      platformMessageId: String(sent.body.result.message_id),
      text: 'Sure?',
      buttons: [
        { label: 'Yes', data: 'y' },
        { label: 'No', data: 'n' },
      ],
      rows: [['Yes'], ['No']],
    });
    expect(server.sent).toEqual([]);
    const tooLong = { inline_keyboard: [[{ text: 'Go', callback_data: 'x'.repeat(65) }]] };
    const refused = await call(server, 'sendMessage', { chat_id: -1, text: 'Go?', reply_markup: tooLong });
    expect(refused.body.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect(server.cards).toHaveLength(1);
  });

  it('queues a tap as a callback_query, takes one answer per query, and replays the same query id', async () => {
    const keyboard = { inline_keyboard: [[{ text: 'Yes', callback_data: 'y' }]] };
    await call(server, 'sendMessage', { chat_id: -1, text: 'Sure?', reply_markup: keyboard });
    const card = await server.waitForCard();
    const tap = server.tap({ card, label: 'Yes', user: { id: 77, first_name: 'Bob' } });
    const forged = server.tap({ card, data: 'forged', user: { id: 'U-eve' } });
    const [first, second] = (await call(server, 'getUpdates')).body.result;
    expect(first.update_id).toBe(tap.updateId);
    expect(first.callback_query).toMatchObject({
      id: tap.queryId,
      from: { id: 77, first_name: 'Bob', is_bot: false },
      message: { message_id: card.messageId, chat: { id: -1 } },
      data: 'y',
    });
    expect(second.callback_query).toMatchObject({
      id: forged.queryId,
      from: { id: 'U-eve' },
      data: 'forged',
    });
    const answer = (text: string) =>
      call(server, 'answerCallbackQuery', { callback_query_id: tap.queryId, text });
    expect((await answer('x'.repeat(201))).body.description).toBe('Bad Request: MESSAGE_TOO_LONG');
    expect((await answer('Done')).status).toBe(200);
    expect(await tap.answered()).toBe('Done');
    expect((await answer('Again')).status).toBe(400);
    expect(server.callbackAnswers).toEqual([{ queryId: tap.queryId, text: 'Done', showAlert: false }]);
    const replayed = server.replayTap(tap);
    const again = (await call(server, 'getUpdates', { offset: replayed })).body.result;
    expect(again.map((u: { callback_query: { id: string } }) => u.callback_query.id)).toEqual([tap.queryId]);
    await expect(forged.answered(50)).rejects.toThrow(/timed out/);
  });

  it('finds a private chat with getChat only once its user started the bot', async () => {
    const chat = async (id: number | string) => (await call(server, 'getChat', { chat_id: id })).body;
    expect((await chat(31)).description).toBe('Bad Request: chat not found');
    server.injectMessage({ chatId: 31, from: { id: 31, first_name: 'Zoe' }, text: 'hi' });
    expect((await chat(31)).result).toMatchObject({ id: 31, type: 'private', first_name: 'Zoe' });
    expect(server.startPrivateChat({ id: 'U-owner', first_name: 'Owner' })).toBe('U-owner');
    expect((await chat('U-owner')).result).toMatchObject({ id: 'U-owner', type: 'private' });
    expect(server.isDirectChat('U-owner', 'U-owner')).toBe(true);
    expect(server.isDirectChat(32, 32)).toBe(false);
  });

  it('delivers only the update kinds the poll asked for', async () => {
    server.injectUpdate({ callback_query: { id: 'q', chat_instance: 'i' } } as never);
    server.injectMessage({ chatId: -1, text: 'm' });
    const only = await call(server, 'getUpdates', { allowed_updates: ['message'] });
    expect(only.body.result.map((u: UpdateJson) => u.message.text)).toEqual(['m']);
    const all = await call(server, 'getUpdates', { allowed_updates: [] });
    expect(all.body.result).toHaveLength(2);
  });

  it('drops connections: a pending long poll fails on the client side', async () => {
    const waiting = call(server, 'getUpdates', { timeout: 10 }).then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.dropConnections();
    expect(await waiting).toBe('dropped');
    expect((await call(server, 'getMe')).status).toBe(200);
  });
});
