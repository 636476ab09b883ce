import type { Message } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { attachmentsOf, mentionsBot, textMentions, toInboundMessage } from './map-message.js';

const bot = { id: 999, username: 'nano_bot' };
const context = { accountId: 'work', bot };
const ada = { id: 42, is_bot: false, first_name: 'Ada', last_name: 'Lovelace', username: 'ada' };
const group = { id: -100777, type: 'supergroup', title: 'Team' };

const message = (extra: Record<string, unknown>): Message =>
  ({ message_id: 10, date: 1_700_000_000, chat: group, from: ada, ...extra }) as unknown as Message;

describe('toInboundMessage', () => {
  it('maps a group text with string ids and the send time', () => {
    expect(toInboundMessage(message({ text: 'hello' }), context)).toEqual({
      channel: 'telegram',
      accountId: 'work',
      chatId: '-100777',
      platformMessageId: '10',
      sender: { id: '42', name: 'Ada Lovelace', isBot: false },
      text: 'hello',
      sentAt: '2023-11-14T22:13:20.000Z',
      mentionsAssistant: false,
    });
  });

  it('uses the caption of a media message and lists its files', () => {
    const inbound = toInboundMessage(
      message({
        caption: 'the report',
        document: {
          file_id: 'F1',
          file_unique_id: 'u',
          file_name: 'r.pdf',
          mime_type: 'application/pdf',
          file_size: 3,
        },
      }),
      context,
    );
    expect(inbound?.text).toBe('the report');
    expect(inbound?.attachments).toEqual([
      { name: 'r.pdf', mimeType: 'application/pdf', sizeBytes: 3, ref: 'F1' },
    ]);
  });

  it('keeps a media message without text, and drops service messages', () => {
    const photo = message({
      photo: [
        { file_id: 'small', file_unique_id: 'a', width: 90, height: 90, file_size: 1 },
        { file_id: 'big', file_unique_id: 'b', width: 800, height: 600, file_size: 9 },
      ],
    });
    expect(toInboundMessage(photo, context)?.attachments).toEqual([
      { name: 'photo-10.jpg', mimeType: 'image/jpeg', sizeBytes: 9, ref: 'big' },
    ]);
    expect(toInboundMessage(message({ new_chat_members: [ada] }), context)).toBeNull();
  });

  it('carries forum topics as threadId and replies as replyTo', () => {
    const inbound = toInboundMessage(
      message({
        text: 'yes',
        message_thread_id: 5,
        is_topic_message: true,
        reply_to_message: message({
          message_id: 7,
          text: 'shall we?',
          from: { ...ada, id: 43, first_name: 'Bob', last_name: undefined },
        }),
      }),
      context,
    );
    expect(inbound?.threadId).toBe('5');
    expect(inbound?.replyTo).toEqual({ platformMessageId: '7', senderName: 'Bob', text: 'shall we?' });
    expect(inbound?.mentionsAssistant).toBe(false);
  });

  it('names a channel post by its chat when there is no user', () => {
    const inbound = toInboundMessage(message({ from: undefined, sender_chat: group, text: 'news' }), context);
    expect(inbound?.sender).toEqual({ id: '-100777', name: 'Team' });
  });
});

describe('mentionsBot', () => {
  it('sees an @username mention entity of this bot only', () => {
    const at = (text: string, offset: number, length: number) =>
      message({ text, entities: [{ type: 'mention', offset, length }] });
    expect(mentionsBot(at('@nano_bot hi', 0, 9), bot)).toBe(true);
    expect(mentionsBot(at('hey @Nano_Bot', 4, 9), bot)).toBe(true);
    expect(mentionsBot(at('@other_bot hi', 0, 10), bot)).toBe(false);
    expect(mentionsBot(message({ text: '@nano_bot without entity' }), bot)).toBe(false);
  });

  it('sees text_mention, /command@bot and replies to the bot', () => {
    expect(
      mentionsBot(
        message({
          text: 'Nano help',
          entities: [{ type: 'text_mention', offset: 0, length: 4, user: { id: 999 } }],
        }),
        bot,
      ),
    ).toBe(true);
    expect(
      mentionsBot(
        message({ text: '/status@nano_bot', entities: [{ type: 'bot_command', offset: 0, length: 16 }] }),
        bot,
      ),
    ).toBe(true);
    expect(
      mentionsBot(
        message({ text: '/status', entities: [{ type: 'bot_command', offset: 0, length: 7 }] }),
        bot,
      ),
    ).toBe(false);
    expect(
      mentionsBot(
        message({
          text: 'ok',
          reply_to_message: message({ from: { id: 999, is_bot: true, first_name: 'N' } }),
        }),
        bot,
      ),
    ).toBe(true);
  });

  it('reads caption entities on media', () => {
    const photo = message({
      caption: '@nano_bot look',
      caption_entities: [{ type: 'mention', offset: 0, length: 9 }],
      photo: [{ file_id: 'p', file_unique_id: 'p', width: 1, height: 1 }],
    });
    expect(mentionsBot(photo, bot)).toBe(true);
  });
});

describe('textMentions', () => {
  it('matches @username as a whole word, case-insensitively', () => {
    expect(textMentions('@nano_bot hi', 'nano_bot')).toBe(true);
    expect(textMentions('hi @NANO_BOT!', 'nano_bot')).toBe(true);
    expect(textMentions('hi @nano_bots', 'nano_bot')).toBe(false);
    expect(textMentions('mail x@nano_bot', 'nano_bot')).toBe(false);
    expect(textMentions('@nano_bot', undefined)).toBe(false);
  });
});

describe('attachmentsOf', () => {
  it('names voice, audio and video files sensibly', () => {
    const files = attachmentsOf(
      message({
        voice: { file_id: 'v', file_unique_id: 'v', duration: 1 },
        video: { file_id: 'm', file_unique_id: 'm', width: 1, height: 1, duration: 1, file_size: 5 },
      }),
    );
    expect(files).toEqual([
      { name: 'video-10.mp4', mimeType: 'video/mp4', sizeBytes: 5, ref: 'm' },
      { name: 'voice-10.ogg', mimeType: 'audio/ogg', sizeBytes: 0, ref: 'v' },
    ]);
  });
});
