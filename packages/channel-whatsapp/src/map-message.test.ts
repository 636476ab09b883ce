import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inboundMessageSchema } from '@nanoclaw/core';
import type { WAMessage } from 'baileys';
import { describe, expect, it } from 'vitest';
import { chatIdOf, textMentionsSelf, toInboundMessage } from './map-message.js';
import { decodeMediaRef } from './media-ref.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__');
const fixture = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as WAMessage;
const self = { pn: '15550001111@s.whatsapp.net', lid: '246813579@lid', name: 'NanoClaw' };
const map = (name: string) => toInboundMessage(fixture(name), { accountId: 'default', self });

describe('toInboundMessage (recorded WAMessage fixtures)', () => {
  it('maps a direct conversation: jid as chat id, sender, push name, time', () => {
    expect(map('direct-conversation')).toEqual({
      channel: 'whatsapp',
      accountId: 'default',
      chatId: '4915112345678@s.whatsapp.net',
      platformMessageId: '3EB0C431C26A1916E07E',
      sender: { id: '4915112345678@s.whatsapp.net', name: 'Grace Hopper', isBot: false },
      text: "Can you summarise yesterday's notes?",
      sentAt: '2024-11-24T09:20:00.000Z',
      mentionsAssistant: false,
    });
  });

  it('prefers the phone-number jid for a LID-addressed direct chat, and reads Long timestamps', () => {
    const inbound = map('direct-lid-addressed');
    expect(inbound?.chatId).toBe('4915112345678@s.whatsapp.net');
    expect(inbound?.sender.id).toBe('4915112345678@s.whatsapp.net');
    expect(inbound?.sentAt).toBe('2024-11-24T09:21:00.000Z');
  });

  it('maps a group message: group jid as chat, participant as sender, mention by phone-number jid', () => {
    const inbound = map('group-mention-pn');
    expect(inbound).toMatchObject({
      chatId: '120363025246125486@g.us',
      sender: { id: '447700900123@s.whatsapp.net', name: 'Alan' },
      text: "@15550001111 what's on the agenda?",
      mentionsAssistant: true,
    });
  });

  it('sees a mention by LID and names the sender by its phone number', () => {
    const inbound = map('group-mention-lid');
    expect(inbound?.mentionsAssistant).toBe(true);
    expect(inbound?.sender.id).toBe('447700900123@s.whatsapp.net');
    expect(inbound?.sentAt).toBe('2024-11-24T09:23:20.000Z');
  });

  it('does not count a mention of someone else', () => {
    expect(map('group-plain')?.mentionsAssistant).toBe(false);
    expect(map('group-plain')?.text).toBe('lunch at 12? https://example.com/menu');
  });

  it('counts a reply to the assistant as a mention and carries the quoted message', () => {
    const inbound = map('group-reply-to-bot');
    expect(inbound?.mentionsAssistant).toBe(true);
    expect(inbound?.replyTo).toEqual({
      platformMessageId: '3EB0BOTREPLY00000001',
      senderName: '15550001111',
      text: '1. budget 2. hiring',
    });
  });

  it('takes an image caption as text and the image as a downloadable attachment', () => {
    const inbound = map('image-with-caption');
    expect(inbound?.text).toBe('whiteboard from today');
    expect(inbound?.attachments).toHaveLength(1);
    const [image] = inbound?.attachments ?? [];
    expect(image).toMatchObject({
      name: 'image-3EB0IMAGE00000000001.jpg',
      mimeType: 'image/jpeg',
      sizeBytes: 48213,
    });
    expect(decodeMediaRef(image?.ref ?? '')).toEqual({
      type: 'image',
      mediaKey: 'p3WQqk1V1x0m9oBfXwV4t8Qy2KkR6d3s7pZ1yQe2aHc=',
      directPath: '/o1/v/t62.7118-24/f1/m232/up-oil-image-abc.enc?ccb=9-4',
      url: 'https://mmg.whatsapp.net/o1/v/t62.7118-24/f1/m232/up-oil-image-abc.enc?ccb=9-4',
    });
  });

  it('unwraps a document with caption: file name, Long size, Buffer-JSON media key, mention', () => {
    const inbound = map('document-with-caption');
    expect(inbound?.text).toBe('@15550001111 please review');
    expect(inbound?.mentionsAssistant).toBe(true);
    expect(inbound?.attachments?.[0]).toMatchObject({
      name: 'q3-report.pdf',
      mimeType: 'application/pdf',
      sizeBytes: 104857,
    });
  });

  it('unwraps disappearing (ephemeral) messages', () => {
    expect(map('ephemeral-text')?.text).toBe('this chat has disappearing messages');
  });

  it('keeps messages the account sent from the phone, with the account as sender', () => {
    expect(map('from-me')?.sender).toEqual({
      id: '15550001111@s.whatsapp.net',
      name: 'NanoClaw',
      isBot: false,
    });
  });

  it('drops revokes, reactions, status broadcasts and bare key distribution', () => {
    for (const name of ['protocol-revoke', 'reaction', 'status-broadcast', 'key-distribution-only']) {
      expect(map(name), name).toBeNull();
    }
  });

  it('produces input the host schema accepts, for every fixture it keeps', () => {
    for (const file of fs.readdirSync(FIXTURES)) {
      const inbound = map(file.replace(/\.json$/, ''));
      if (inbound) expect(() => inboundMessageSchema.parse(inbound), file).not.toThrow();
    }
  });
});

describe('chatIdOf / textMentionsSelf', () => {
  it('strips the device from a jid', () => {
    const message = { key: { remoteJid: '4915112345678:3@s.whatsapp.net', id: 'x' } } as WAMessage;
    expect(chatIdOf(message)).toBe('4915112345678@s.whatsapp.net');
  });

  it('matches @number of the account by phone number or LID', () => {
    expect(textMentionsSelf('@15550001111 hi', self)).toBe(true);
    expect(textMentionsSelf('hi @246813579', self)).toBe(true);
    expect(textMentionsSelf('hi @155500011112', self)).toBe(false);
    expect(textMentionsSelf('hi 15550001111', self)).toBe(false);
  });
});
