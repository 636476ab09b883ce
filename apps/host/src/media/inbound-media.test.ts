import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AttachmentTooLargeError } from '@nanoclaw/channel-registry';
import type { Attachment } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../groups/test-support.js';
import type { StoredInbound } from '../routing/stored-inbound.js';
import { fetchTurnMedia, type InboundMediaOptions, mediaNotice, tooBig } from './inbound-media.js';
import type { Transcriber } from './transcriber.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const WAV = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([36, 0, 0, 0]),
  Buffer.from('WAVEfmt '),
  Buffer.alloc(40, 1),
]);
const SENT = Date.UTC(2026, 11, 7, 12);

let root: string;
let files: Map<string, Uint8Array>;
let downloads: string[];

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'inbound-media-'));
  await fs.mkdir(path.join(root, 'group'));
  files = new Map();
  downloads = [];
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function options(overrides: Partial<InboundMediaOptions> = {}): InboundMediaOptions {
  return {
    adapter: {
      downloadAttachment: async (ref) => {
        downloads.push(ref);
        const bytes = files.get(ref);
        if (!bytes) throw new Error('no such file');
        return bytes;
      },
    },
    group: { id: 'g1', folder: 'group' },
    groupDir: path.join(root, 'group'),
    hostPaths: false,
    maxMb: 1,
    timezone: 'UTC',
    signal: new AbortController().signal,
    logger: createRecordingLogger(),
    ...overrides,
  };
}

function message(id: number, attachments: Attachment[], platformMessageId = String(100 + id)): StoredInbound {
  return {
    id,
    message: {
      channel: 'telegram',
      accountId: 'default',
      chatId: 'c1',
      platformMessageId,
      sender: { id: 'u1' },
      text: '',
      sentAt: new Date(SENT).toISOString(),
      attachments,
    },
    groupId: 'g1',
    status: 'processing',
    tries: 0,
    lastError: null,
    sentAt: SENT,
    receivedAt: SENT,
  } as StoredInbound;
}

function attachment(name: string, ref: string, bytes: Uint8Array, mimeType = 'image/png'): Attachment {
  files.set(ref, bytes);
  return { name, mimeType, sizeBytes: bytes.length, ref };
}

describe('fetchTurnMedia', () => {
  it('saves a photo under inbox/<date>/<message-id>-<name> with the sniffed type and sandbox path', async () => {
    const results = await fetchTurnMedia(options(), [message(1, [attachment('photo.png', 'f1', PNG)])]);
    const [result] = results.get(1) ?? [];
    expect(result).toMatchObject({
      ok: true,
      attachment: {
        name: '101-photo.png',
        mimeType: 'image/png',
        sizeBytes: PNG.length,
        ref: 'inbox/2026-12-07/101-photo.png',
      },
      sandboxPath: '/workspace/group/inbox/2026-12-07/101-photo.png',
    });
    expect(await fs.readFile(path.join(root, 'group/inbox/2026-12-07/101-photo.png'))).toEqual(PNG);
  });

  it('names the host path in the process runtime', async () => {
    const results = await fetchTurnMedia(options({ hostPaths: true }), [
      message(1, [attachment('p.png', 'f1', PNG)]),
    ]);
    expect(results.get(1)?.[0]).toMatchObject({
      sandboxPath: path.join(root, 'group/inbox/2026-12-07/101-p.png'),
    });
  });

  it('reuses a file saved by an earlier try instead of downloading again', async () => {
    const turn = [message(1, [attachment('receipt.jpg', 'f1', PDF, 'image/jpeg')])];
    await fetchTurnMedia(options(), turn);
    const again = await fetchTurnMedia(options(), turn);
    expect(downloads).toEqual(['f1']);
    expect(again.get(1)?.[0]).toMatchObject({ ok: true, attachment: { name: '101-receipt.jpg.pdf' } });
  });

  it('keeps a file whose bytes are not what its name says, with the real extension added', async () => {
    const results = await fetchTurnMedia(options(), [
      message(1, [attachment('receipt.jpg', 'f1', PDF, 'image/jpeg')]),
    ]);
    expect(results.get(1)?.[0]).toMatchObject({
      ok: true,
      attachment: { mimeType: 'application/pdf', ref: 'inbox/2026-12-07/101-receipt.jpg.pdf' },
      mismatch: { claimed: 'image/jpeg' },
    });
  });

  it('numbers same-named files of one message', async () => {
    const results = await fetchTurnMedia(options(), [
      message(1, [
        attachment('a.png', 'f1', PNG),
        attachment('a.png', 'f2', PNG),
        attachment('a.png', 'f3', PNG),
      ]),
    ]);
    expect(results.get(1)?.map((r) => r.ok && r.attachment.name)).toEqual([
      '101-a.png',
      '101-a-2.png',
      '101-a-3.png',
    ]);
  });

  it('refuses a file the platform says is too big without downloading it', async () => {
    const big = {
      name: 'big.bin',
      mimeType: 'application/octet-stream',
      sizeBytes: 2 * 1024 * 1024,
      ref: 'f9',
    };
    const results = await fetchTurnMedia(options(), [message(1, [big])]);
    expect(results.get(1)).toEqual([
      { ok: false, name: 'big.bin', reason: 'it is 2.0 MB, over the 1 MB limit (MEDIA_MAX_MB)' },
    ]);
    expect(downloads).toEqual([]);
  });

  it('re-checks the real size of what was downloaded', async () => {
    files.set('f1', Buffer.alloc(2 * 1024 * 1024));
    const lying = { name: 'x.bin', mimeType: 'application/octet-stream', sizeBytes: 10, ref: 'f1' };
    const results = await fetchTurnMedia(options(), [message(1, [lying])]);
    expect(results.get(1)?.[0]).toMatchObject({
      ok: false,
      reason: expect.stringContaining('over the 1 MB limit'),
    });
    await expect(fs.readdir(path.join(root, 'group/inbox/2026-12-07'))).resolves.toEqual([]);
  });

  it('hands the adapter the limit, and words its refusal as the limit (MEDIA_MAX_MB)', async () => {
    const limits: (number | undefined)[] = [];
    const capped = (sizeBytes?: number) => ({
      downloadAttachment: async (_ref: string, o?: { maxBytes?: number }) => {
        limits.push(o?.maxBytes);
        throw new AttachmentTooLargeError(o?.maxBytes ?? 0, sizeBytes);
      },
    });
    const unknown = { name: 'x.bin', mimeType: 'application/octet-stream', sizeBytes: 0, ref: 'f1' };
    const stated = await fetchTurnMedia(options({ adapter: capped(3 * 1024 * 1024) }), [
      message(1, [unknown]),
    ]);
    const streamed = await fetchTurnMedia(options({ adapter: capped() }), [message(2, [unknown])]);
    expect(limits).toEqual([1024 * 1024, 1024 * 1024]);
    expect(stated.get(1)?.[0]).toMatchObject({ reason: 'it is 3.0 MB, over the 1 MB limit (MEDIA_MAX_MB)' });
    expect(streamed.get(2)?.[0]).toMatchObject({ reason: 'it is over the 1 MB limit (MEDIA_MAX_MB)' });
  });

  it('says so when the channel cannot fetch files, or the download fails', async () => {
    const turn = [
      message(1, [
        attachment('a.png', 'f1', PNG),
        { name: 'gone.png', mimeType: 'image/png', sizeBytes: 1, ref: 'nope' },
      ]),
    ];
    expect((await fetchTurnMedia(options({ adapter: {} }), turn)).get(1)?.[0]).toEqual({
      ok: false,
      name: 'a.png',
      reason: 'this channel cannot fetch files',
    });
    expect((await fetchTurnMedia(options(), turn)).get(1)?.[1]).toEqual({
      ok: false,
      name: 'gone.png',
      reason: 'it could not be fetched: no such file',
    });
  });

  it('words a slow download and a symlinked inbox for the user, without host paths', async () => {
    const never = { downloadAttachment: () => new Promise<Uint8Array>(() => undefined) };
    const slow = await fetchTurnMedia(options({ adapter: never, timeoutMs: 50 }), [
      message(1, [attachment('a.png', 'f1', PNG)]),
    ]);
    expect(slow.get(1)?.[0]).toMatchObject({ ok: false, reason: 'the download took longer than 0 s' });
    await fs.rm(path.join(root, 'group', 'inbox'), { recursive: true });
    await fs.symlink(root, path.join(root, 'group', 'inbox'));
    const linked = await fetchTurnMedia(options(), [message(2, [attachment('b.png', 'f2', PNG)])]);
    expect(linked.get(2)?.[0]).toEqual({
      ok: false,
      name: 'b.png',
      reason: "the group's inbox folder is not a plain folder (a symlink?), so nothing was saved",
    });
    expect(await fs.readdir(root)).toEqual(['group']);
  });

  it('writes nothing outside the inbox for a hostile name and message id', async () => {
    const results = await fetchTurnMedia(options(), [
      message(1, [attachment('../../x\u0000\n.png', 'f1', PNG)], '../../../etc'),
    ]);
    expect(results.get(1)?.[0]).toMatchObject({
      ok: true,
      attachment: { ref: 'inbox/2026-12-07/etc-x.png' },
    });
    expect(await fs.readdir(path.join(root, 'group'))).toEqual(['inbox']);
    expect(await fs.readdir(root)).toEqual(['group']);
  });

  it('transcribes a voice note, and tells why when it cannot', async () => {
    const seen: string[] = [];
    const ok: Transcriber = {
      transcribe: async (input) => {
        seen.push(input.mimeType);
        return 'hello there';
      },
    };
    const down: Transcriber = { transcribe: async () => Promise.reject(new Error('the endpoint is down')) };
    const turn = [message(1, [attachment('voice.wav', 'f1', WAV, 'audio/wav')])];
    expect((await fetchTurnMedia(options({ transcriber: ok }), turn)).get(1)?.[0]).toMatchObject({
      transcript: { text: 'hello there' },
    });
    expect(seen).toEqual([expect.stringMatching(/^audio\//)]);
    const failed = (await fetchTurnMedia(options({ transcriber: down }), turn)).get(1)?.[0];
    expect(failed).toMatchObject({ transcript: { error: 'the endpoint is down' } });
    expect(failed && mediaNotice(failed)).toBe("I couldn't transcribe voice.wav: the endpoint is down");
    expect((await fetchTurnMedia(options(), turn)).get(1)?.[0]).toMatchObject({
      transcript: { unconfigured: true },
    });
  });
});

describe('helpers', () => {
  it('words a size over the limit', () => {
    expect(tooBig(31.4 * 1024 * 1024, 20)).toBe('it is 31.4 MB, over the 20 MB limit (MEDIA_MAX_MB)');
  });
});
