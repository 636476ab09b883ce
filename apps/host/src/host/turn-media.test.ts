import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../groups/test-support.js';
import type { Transcriber } from '../media/transcriber.js';
import type { StoredInbound } from '../routing/index.js';
import { prepareTurnMedia, type TurnMediaDeps } from './turn-media.js';

const WAV = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([36, 0, 0, 0]),
  Buffer.from('WAVEfmt '),
  Buffer.alloc(40, 1),
]);
const CHAT = { channel: 'telegram', accountId: 'default', chatId: '42' };

let groupsDir: string;
let enqueued: Array<{ text: string; idempotencyKey: string; replyToPlatformMessageId?: string }>;

beforeEach(() => {
  groupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'turn-media-'));
  enqueued = [];
});
afterEach(() => fs.rmSync(groupsDir, { recursive: true, force: true }));

function stored(
  id: number,
  attachments: Array<{ name: string; sizeBytes: number; ref: string }>,
): StoredInbound {
  const sentAt = Date.UTC(2026, 11, 7);
  return {
    id,
    message: {
      ...CHAT,
      platformMessageId: `p${id}`,
      sender: { id: 'u' },
      text: 'hi',
      sentAt: new Date(sentAt).toISOString(),
      attachments: attachments.map((a) => ({ mimeType: 'application/octet-stream', ...a })),
    },
    groupId: 'g',
    status: 'processing',
    tries: 0,
    lastError: null,
    sentAt,
    receivedAt: sentAt,
  };
}

function deps(transcriber?: Transcriber) {
  const media: TurnMediaDeps = {
    adapters: { get: () => ({ downloadAttachment: async () => WAV }) as never },
    groupsDir,
    maxMb: 1,
    hostPaths: () => false,
  };
  return {
    media,
    transcriber,
    timezone: 'UTC',
    outbox: {
      enqueue: async (input: (typeof enqueued)[number]) => {
        if (!enqueued.some((e) => e.idempotencyKey === input.idempotencyKey)) enqueued.push(input);
        return {} as never;
      },
    },
    logger: createRecordingLogger(),
  };
}

const request = (messages: StoredInbound[]) => ({
  group: { id: 'g', folder: 'main' },
  chat: CHAT,
  messages,
  signal: new AbortController().signal,
});

describe('prepareTurnMedia', () => {
  it('tells the user once per file problem, with a key stable across tries', async () => {
    const down: Transcriber = { transcribe: async () => Promise.reject(new Error('the endpoint is down')) };
    const messages = [
      stored(7, [
        { name: 'voice.wav', sizeBytes: WAV.length, ref: 'a' },
        { name: 'huge.mov', sizeBytes: 5 * 1024 * 1024, ref: 'b' },
      ]),
    ];
    const first = await prepareTurnMedia(deps(down), request(messages));
    await prepareTurnMedia(deps(down), request(messages));
    expect(enqueued).toEqual([
      expect.objectContaining({
        text: "I couldn't transcribe voice.wav: the endpoint is down",
        idempotencyKey: 'media:7:0',
        replyToPlatformMessageId: 'p7',
      }),
      expect.objectContaining({
        text: "I couldn't get huge.mov: it is 5.0 MB, over the 1 MB limit (MEDIA_MAX_MB).",
        idempotencyKey: 'media:7:1',
      }),
    ]);
    expect(first.attachments).toEqual([expect.objectContaining({ ref: 'inbox/2026-12-07/p7-voice.wav' })]);
  });

  it('does nothing without media settings or files', async () => {
    const none = await prepareTurnMedia(
      { ...deps(), media: undefined },
      request([stored(1, [{ name: 'a', sizeBytes: 1, ref: 'a' }])]),
    );
    expect(none).toEqual({ byMessage: new Map(), attachments: [] });
    expect((await prepareTurnMedia(deps(), request([stored(2, [])]))).attachments).toEqual([]);
    expect(enqueued).toEqual([]);
  });
});
