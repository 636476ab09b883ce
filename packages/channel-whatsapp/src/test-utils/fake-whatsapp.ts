import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type {
  AnyMessageContent,
  MiscMessageGenerationOptions,
  WAMessage,
  WAMessageKey,
  WAPresence,
} from 'baileys';
import type { DownloadMedia } from '../download.js';
import type { MakeWhatsAppSocket, WhatsAppSocket, WhatsAppSocketConfig } from '../socket.js';

export const FAKE_SELF = {
  id: '15550001111:7@s.whatsapp.net',
  lid: '246813579:7@lid',
  name: 'NanoClaw',
} as const;
export const FAKE_SELF_PN = '15550001111@s.whatsapp.net';
export const FAKE_GROUP = '120363000000000001@g.us';
export const FAKE_USER = { jid: '447700900123@s.whatsapp.net', name: 'Alan' } as const;

/** How the next socket behaves once made: open at once (default), show a QR, or close with a status code. */
export type FakeConnect = 'open' | 'qr' | { close: number };

export interface FakeSent {
  jid: string;
  content: AnyMessageContent;
  options?: MiscMessageGenerationOptions;
  id: string;
}

export interface FakeSocket extends WhatsAppSocket {
  emit(event: string, arg: unknown): void;
  readonly config: WhatsAppSocketConfig;
  ended: boolean;
}

/**
 * A stand-in for WhatsApp behind Baileys' socket: `makeSocket` hands the adapter fake sockets that emit
 * `connection.update` and `messages.upsert` and record `sendMessage`, presence and read receipts.
 */
export function createFakeWhatsApp() {
  const sockets: FakeSocket[] = [];
  const sent: FakeSent[] = [];
  const presences: Array<{ type: WAPresence; jid: string | undefined }> = [];
  const reads: WAMessageKey[] = [];
  const connects: FakeConnect[] = [];
  const media = new Map<string, Buffer>();
  const sendFaults: Array<{ error: unknown; afterCalls: number }> = [];
  /** Messages sent to the account while no socket was live: WhatsApp hands them over on the next connect. */
  const offline: Array<{ message: WAMessage; type: 'notify' | 'append' }> = [];
  let counter = 0;

  const makeSocket: MakeWhatsAppSocket = (config) => {
    const events = new EventEmitter();
    const socket: FakeSocket = {
      config,
      ended: false,
      ev: { on: (event, listener) => void events.on(event, listener as (arg: unknown) => void) },
      user: undefined,
      emit: (event, arg) => void events.emit(event, arg),
      async sendMessage(jid, content, options) {
        const fault = sendFaults[0];
        if (fault && fault.afterCalls > 0) fault.afterCalls -= 1;
        else if (fault) {
          sendFaults.shift();
          throw fault.error;
        }
        counter += 1;
        const id = `3EB0FAKE${String(counter).padStart(12, '0')}`;
        sent.push({ jid, content, ...(options ? { options } : {}), id });
        return {
          key: { remoteJid: jid, fromMe: true, id },
          message: 'text' in content ? { extendedTextMessage: { text: content.text } } : {},
          messageTimestamp: Math.floor(Date.now() / 1000),
        } as WAMessage;
      },
      async sendPresenceUpdate(type, jid) {
        presences.push({ type, jid });
      },
      async readMessages(keys) {
        reads.push(...keys);
      },
      end() {
        socket.ended = true;
        events.emit('connection.update', {
          connection: 'close',
          lastDisconnect: { error: boom(428, 'Connection Closed'), date: new Date() },
        });
      },
    };
    sockets.push(socket);
    const behaviour = connects.shift() ?? 'open';
    setImmediate(() => {
      if (behaviour === 'open') {
        socket.user = { ...FAKE_SELF };
        socket.emit('connection.update', { connection: 'open' });
        for (const { message, type } of offline.splice(0))
          socket.emit('messages.upsert', { messages: [message], type });
      } else if (behaviour === 'qr') {
        socket.emit('connection.update', { qr: `2@fake-qr-${sockets.length}` });
      } else {
        socket.ended = true;
        socket.emit('connection.update', {
          connection: 'close',
          lastDisconnect: { error: boom(behaviour.close, 'closed by fake'), date: new Date() },
        });
      }
    });
    return socket;
  };

  const current = () => sockets.filter((s) => !s.ended).at(-1);

  return {
    makeSocket,
    sockets,
    sent,
    presences,
    reads,
    current,
    /** Queues how the next sockets connect. */
    nextConnect: (...behaviours: FakeConnect[]) => connects.push(...behaviours),
    /** Emits `messages.upsert` (notify) on the live socket, or on the next one to open when none is live. */
    deliver(message: WAMessage, type: 'notify' | 'append' = 'notify') {
      const socket = current();
      if (socket?.user) socket.emit('messages.upsert', { messages: [message], type });
      else offline.push({ message, type });
    },
    /** A later sendMessage throws this (e.g. `boom(429, 'rate-overlimit')`), after `afterCalls` succeed. */
    failNextSend: (error: unknown, afterCalls = 0) => sendFaults.push({ error, afterCalls }),
    /** The live socket closes with this status (408 connection lost by default), as a network drop would. */
    drop(statusCode = 408) {
      const socket = current();
      socket?.emit('connection.update', {
        connection: 'close',
        lastDisconnect: { error: boom(statusCode, 'Connection Lost'), date: new Date() },
      });
      if (socket) socket.ended = true;
    },
    /** Stores media bytes and returns a document message content pointing at them. */
    document(name: string, mimeType: string, content: Uint8Array, caption?: string) {
      const mediaKey = randomBytes(32).toString('base64');
      media.set(mediaKey, Buffer.from(content));
      return {
        documentMessage: {
          url: `https://mmg.whatsapp.net/fake/${name}.enc`,
          directPath: `/fake/${name}.enc`,
          mimetype: mimeType,
          fileName: name,
          fileLength: content.byteLength,
          mediaKey,
          ...(caption ? { caption } : {}),
        },
      };
    },
    /** A `downloadMedia` for the adapter that serves what `document()` stored. */
    download: (async (ref) => {
      const bytes = media.get(ref.mediaKey);
      if (!bytes) throw new Error('fake whatsapp: unknown media');
      return bytes;
    }) as DownloadMedia,
  };
}

export type FakeWhatsApp = ReturnType<typeof createFakeWhatsApp>;

/** An error shaped like Baileys' Boom errors. */
export function boom(statusCode: number, message: string, data?: Record<string, unknown>): Error {
  return Object.assign(new Error(message), {
    isBoom: true,
    output: { statusCode },
    ...(data ? { data } : {}),
  });
}

let nextId = 0;

/** A text message from a user, as Baileys emits it. */
export function userText(input: {
  chatId: string;
  text: string;
  from?: { jid: string; name?: string };
  mention?: boolean;
  id?: string;
}): WAMessage {
  nextId += 1;
  const from = input.from ?? FAKE_USER;
  const group = input.chatId.endsWith('@g.us');
  const text = input.mention ? `@${FAKE_SELF_PN.split('@')[0]} ${input.text}` : input.text;
  return {
    key: {
      remoteJid: input.chatId,
      fromMe: false,
      id: input.id ?? `3A${Date.now().toString(16).toUpperCase()}${String(nextId).padStart(6, '0')}`,
      ...(group ? { participant: from.jid } : {}),
    },
    messageTimestamp: Math.floor(Date.now() / 1000),
    ...(from.name ? { pushName: from.name } : {}),
    message: input.mention
      ? { extendedTextMessage: { text, contextInfo: { mentionedJid: [FAKE_SELF_PN] } } }
      : { conversation: text },
  } as WAMessage;
}
