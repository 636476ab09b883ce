import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createChannelRegistry, startChannels } from '@nanoclaw/channel-registry';
import { createContractHost, silentLogger } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { createWhatsAppChannelFactory, whatsappAuthDir, whatsappChannel } from './factory.js';
import { createFakeWhatsApp, FAKE_GROUP, userText } from './test-utils/fake-whatsapp.js';

const logger = silentLogger();

describe('whatsapp factory', () => {
  it('is opted in with WHATSAPP_ENABLED and skipped otherwise', () => {
    expect(whatsappChannel.requiredEnv).toEqual(['WHATSAPP_ENABLED']);
    expect(whatsappChannel.create({ accountId: 'default', env: { WHATSAPP_ENABLED: '0' }, logger })).toEqual({
      skipped: 'WHATSAPP_ENABLED is not 1/true',
    });
    const adapter = whatsappChannel.create({
      accountId: 'default',
      env: { WHATSAPP_ENABLED: 'true' },
      logger,
    });
    expect('skipped' in adapter).toBe(false);
  });

  it('keeps auth under the data dir per account, unless WHATSAPP_AUTH_DIR is set', () => {
    expect(whatsappAuthDir({ NANOCLAW_DATA_DIR: '/srv/nc' }, 'work')).toBe('/srv/nc/whatsapp/work');
    expect(whatsappAuthDir({}, 'default')).toBe(path.resolve('data/whatsapp/default'));
    expect(whatsappAuthDir({ WHATSAPP_AUTH_DIR: '/secrets/wa' }, 'default')).toBe('/secrets/wa');
  });

  it('runs two accounts through startChannels, each with its own auth folder', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-factory-'));
    const fake = createFakeWhatsApp();
    const host = createContractHost();
    const channels = await startChannels({
      env: { WHATSAPP_ENABLED: '1', WHATSAPP_ENABLED__WORK: '1', NANOCLAW_DATA_DIR: data },
      host,
      logger,
      registry: createChannelRegistry([
        createWhatsAppChannelFactory({ makeSocket: fake.makeSocket, onQr: () => {} }),
      ]),
    });
    try {
      expect(channels.status().map((s) => [s.accountId, s.state])).toEqual([
        ['default', 'connected'],
        ['work', 'connected'],
      ]);
      expect(fs.readdirSync(path.join(data, 'whatsapp')).sort()).toEqual(['default', 'work']);
      expect(fs.statSync(path.join(data, 'whatsapp', 'work')).mode & 0o777).toBe(0o700);
      for (const socket of fake.sockets) {
        socket.emit('messages.upsert', {
          messages: [userText({ chatId: FAKE_GROUP, text: 'hello' })],
          type: 'notify',
        });
      }
      for (let i = 0; i < 100 && host.stored.length < 2; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(host.stored.map((m) => m.accountId).sort()).toEqual(['default', 'work']);
    } finally {
      await channels.stopAll();
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
