/**
 * The interactive part of the loopback Slack fake: messages with buttons (chat.postMessage with Block Kit
 * blocks), taps on them delivered as Socket Mode `interactive` envelopes (`block_actions`), ephemeral answers
 * (chat.postEphemeral) and DM channels (conversations.open).
 */
import { randomBytes } from 'node:crypto';
import type { FakeWaiters } from '@nanoclaw/channel-registry/test';
import { slackActionId } from './slack-cards.js';

/** A message with buttons the bot posted (chat.postMessage with an actions block). */
export interface FakeSlackCard {
  chatId: string;
  /** The message's ts. */
  platformMessageId: string;
  /** The section text above the buttons, as shown. */
  text: string;
  /** The top-level `text` (what notifications show). */
  fallbackText: string;
  threadTs?: string;
  /** Each button in order: its label and its `value`. */
  buttons: { label: string; data: string }[];
}

/** A message only one user sees (chat.postEphemeral). */
export interface FakeSlackEphemeral {
  channel: string;
  user: string;
  /** As the bot sent it (mrkdwn, entities escaped). */
  text: string;
  threadTs?: string;
  messageTs: string;
}

export interface FakeSlackTapInput {
  /** The card tapped (a `FakeSlackCard`, or any object naming its chat and message). */
  card: { chatId: string; platformMessageId: string };
  /** The tapped button's value; one no button carries makes a forged tap (sent with the first button's id). */
  data: string;
  user: { id: string; name?: string };
}

/** One delivery of a tap. */
export interface FakeSlackTap {
  /** The id the Slack channel hands to `host.receiveAction` (the same on every replay). */
  readonly platformActionId: string;
  readonly envelopeId: string;
  /** The `block_actions` payload. */
  readonly payload: Record<string, unknown>;
  /** Resolves with the next ephemeral answer to the tapper in the card's channel, as shown (entities unescaped). */
  answered(timeoutMs?: number): Promise<string>;
}

export interface FakeSlackCardsDeps {
  botUserId: string;
  botId: string;
  teamId: string;
  nextTs(): string;
  notify(): void;
  waitUntil: FakeWaiters['waitUntil'];
  /** Queues a Socket Mode envelope of this type; returns its envelope id. */
  sendEnvelope(payload: Record<string, unknown>, type: string): string;
}

interface AnswerSlot {
  channel: string;
  user: string;
  answer?: string;
}

type ApiAnswer = Record<string, unknown>;

/** The fake's interactive state: cards posted, taps awaiting their ephemeral answer, DM channels opened. */
export class FakeSlackCards {
  readonly cards: FakeSlackCard[] = [];
  readonly ephemerals: FakeSlackEphemeral[] = [];
  readonly #deps: FakeSlackCardsDeps;
  readonly #actionIds = new Map<string, string[]>();
  readonly #slots: AnswerSlot[] = [];
  readonly #directChannels = new Map<string, string>();

  constructor(deps: FakeSlackCardsDeps) {
    this.#deps = deps;
  }

  directChannelOf(userId: string): string {
    let channel = this.#directChannels.get(userId);
    if (!channel) {
      channel = `D${String(this.#directChannels.size + 1).padStart(8, '0')}`;
      this.#directChannels.set(userId, channel);
    }
    return channel;
  }

  isDirectChannel(chatId: string, userId: string): boolean {
    return this.#directChannels.get(userId) === chatId;
  }

  isKnownDirectChannel(chatId: string): boolean {
    return [...this.#directChannels.values()].includes(chatId);
  }

  /** The answer to chat.postMessage with buttons, chat.postEphemeral or conversations.open; else undefined. */
  handle(method: string, params: Record<string, string>): ApiAnswer | undefined {
    if (method === 'chat.postMessage') return this.#postCard(params);
    if (method === 'chat.postEphemeral') return this.#postEphemeral(params);
    if (method === 'conversations.open') return this.#openConversation(params);
    return undefined;
  }

  tap(input: FakeSlackTapInput): FakeSlackTap {
    const stored = this.cards.find((c) => c.platformMessageId === input.card.platformMessageId);
    const index = Math.max(0, stored?.buttons.findIndex((b) => b.data === input.data) ?? 0);
    const button = {
      actionId: this.#actionIds.get(input.card.platformMessageId)?.[index] ?? 'button-0',
      label: stored?.buttons[index]?.label ?? '',
    };
    const payload = blockActionsPayload(input, stored, button, this.#deps);
    return this.#deliver(payload, platformActionIdOf(payload));
  }

  replayTap(tap: FakeSlackTap): FakeSlackTap {
    return this.#deliver(tap.payload, tap.platformActionId);
  }

  /** Sends any payload (malformed ones too) as an `interactive` envelope; returns its envelope id. */
  sendInteractive(payload: Record<string, unknown>): string {
    return this.#deps.sendEnvelope(payload, 'interactive');
  }

  #deliver(payload: Record<string, unknown>, platformActionId: string): FakeSlackTap {
    const { channel, user } = payload as { channel: { id: string }; user: { id: string } };
    const slot: AnswerSlot = { channel: channel.id, user: user.id };
    this.#slots.push(slot);
    const envelopeId = this.sendInteractive(payload);
    const waitUntil = this.#deps.waitUntil;
    return {
      platformActionId,
      envelopeId,
      payload,
      async answered(timeoutMs = 15_000) {
        await waitUntil(() => slot.answer !== undefined, timeoutMs, `the answer to tap ${platformActionId}`);
        return slot.answer ?? '';
      },
    };
  }

  #postEphemeral(params: Record<string, string>): ApiAnswer {
    if (!params.channel) return { ok: false, error: 'channel_not_found' };
    if (!params.user) return { ok: false, error: 'user_not_found' };
    if (!params.text) return { ok: false, error: 'no_text' };
    const messageTs = this.#deps.nextTs();
    const ephemeral = { channel: params.channel, user: params.user, text: params.text, messageTs };
    this.ephemerals.push(params.thread_ts ? { ...ephemeral, threadTs: params.thread_ts } : ephemeral);
    const slot = this.#slots.find(
      (s) => s.answer === undefined && s.channel === params.channel && s.user === params.user,
    );
    if (slot) slot.answer = unescapeSlack(params.text);
    this.#deps.notify();
    return { ok: true, message_ts: messageTs };
  }

  #postCard(params: Record<string, string>): ApiAnswer | undefined {
    const blocks = parseBlocks(params.blocks);
    if (!blocks?.some((b) => b.type === 'actions')) return undefined;
    const problem = blockProblem(blocks);
    if (problem) return { ok: false, error: 'invalid_blocks', errors: [problem] };
    if (!params.channel) return { ok: false, error: 'channel_not_found' };
    const ts = this.#deps.nextTs();
    const buttons = blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
    const text = blocks
      .flatMap((b) => (b.type === 'section' && b.text ? [b.text.text ?? ''] : []))
      .join('\n');
    this.cards.push({
      chatId: params.channel,
      platformMessageId: ts,
      text,
      fallbackText: params.text ?? '',
      ...(params.thread_ts ? { threadTs: params.thread_ts } : {}),
      buttons: buttons.map((button) => ({ label: button.text?.text ?? '', data: button.value ?? '' })),
    });
    this.#actionIds.set(
      ts,
      buttons.map((button) => button.action_id ?? ''),
    );
    this.#deps.notify();
    const { botUserId, botId } = this.#deps;
    const message = { type: 'message', user: botUserId, bot_id: botId, text: params.text, ts, blocks };
    return { ok: true, channel: params.channel, ts, message };
  }

  #openConversation(params: Record<string, string>): ApiAnswer {
    const users = (params.users ?? '').split(',').filter((u) => u !== '');
    if (users.length === 0) return { ok: false, error: 'users_list_not_supplied' };
    if (users.length > 1) return { ok: false, error: 'not_supported_by_the_fake' };
    const userId = users[0] ?? '';
    const known = this.#directChannels.has(userId);
    const id = this.directChannelOf(userId);
    return { ok: true, ...(known ? { no_op: true, already_open: true } : {}), channel: { id } };
  }
}

/** A `block_actions` payload as Slack sends it for a press on one of the card's buttons. */
function blockActionsPayload(
  input: FakeSlackTapInput,
  stored: FakeSlackCard | undefined,
  button: { actionId: string; label: string },
  deps: FakeSlackCardsDeps,
): Record<string, unknown> {
  const { card, data, user } = input;
  const thread = stored?.threadTs ? { thread_ts: stored.threadTs } : {};
  const name = user.name ?? user.id.toLowerCase();
  return {
    type: 'block_actions',
    api_app_id: 'A0APP',
    token: 'verification-token',
    trigger_id: `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`,
    team: { id: deps.teamId, domain: 'fake' },
    user: { id: user.id, username: name, name, team_id: deps.teamId },
    container: {
      type: 'message',
      message_ts: card.platformMessageId,
      channel_id: card.chatId,
      is_ephemeral: false,
      ...thread,
    },
    channel: { id: card.chatId, name: `channel-${card.chatId}` },
    message: {
      type: 'message',
      ts: card.platformMessageId,
      user: deps.botUserId,
      bot_id: deps.botId,
      text: stored?.fallbackText ?? '',
      ...thread,
    },
    actions: [
      {
        type: 'button',
        action_id: button.actionId,
        block_id: 'fake-block',
        text: { type: 'plain_text', text: button.label, emoji: true },
        value: data,
        action_ts: deps.nextTs(),
      },
    ],
  };
}

interface FakeBlock {
  type?: string;
  text?: { text?: string };
  elements?: { type?: string; action_id?: string; value?: string; text?: { text?: string } }[];
}

function parseBlocks(raw: string | undefined): FakeBlock[] | undefined {
  if (!raw) return undefined;
  try {
    const blocks = JSON.parse(raw) as unknown;
    return Array.isArray(blocks) ? (blocks as FakeBlock[]) : undefined;
  } catch {
    return undefined;
  }
}

/** What Slack would refuse in these blocks (its Block Kit limits), or undefined. */
function blockProblem(blocks: FakeBlock[]): string | undefined {
  for (const block of blocks) {
    if (block.type === 'section' && (block.text?.text?.length ?? 0) > 3_000) return 'section text over 3000';
    if (block.type !== 'actions') continue;
    const elements = block.elements ?? [];
    if (elements.length === 0 || elements.length > 25) return 'actions need 1 to 25 elements';
    const ids = elements.map((e) => e.action_id);
    if (new Set(ids).size !== ids.length) return 'duplicate action_id';
    for (const element of elements) {
      if ((element.text?.text?.length ?? 0) > 75) return 'button text over 75';
      if ((element.value?.length ?? 0) > 2_000) return 'button value over 2000';
    }
  }
  return undefined;
}

function platformActionIdOf(payload: Record<string, unknown>): string {
  const { container, actions, trigger_id } = payload as {
    container: { message_ts: string };
    actions: { action_ts: string }[];
    trigger_id: string;
  };
  return slackActionId(container.message_ts, actions[0]?.action_ts, trigger_id) ?? trigger_id;
}

/** What the user sees of mrkdwn text's entities. */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
