import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type CardAction,
  type CardActionResult,
  type ChannelAdapter,
  type ChannelErrorInfo,
  type ChannelFactory,
  type ChannelHost,
  type ChannelLimits,
  silentLogger as coreSilentLogger,
  type InboundMessage,
  type InboundMessageInput,
  inboundMessageSchema,
  type Logger,
  type OutboundMessage,
} from '@nanoclaw/core';
import { describe, expect, it, type TestContext } from 'vitest';
import { type ContractSuite, describeContract } from './contract-suite.js';
import { createHoldGate } from './test-helpers.js';

/** A file as the fake platform holds it. */
export interface ContractFile {
  name: string;
  mimeType: string;
  content: Uint8Array;
}

/** One inbound message the driver puts on the fake platform. */
export interface ContractInboundInput {
  chatId: string;
  /** The user's words; the driver adds the mention form itself when `mention` is set. */
  text: string;
  /** Default: a fixed test user of the driver's choosing (not the bot). */
  sender?: { id: string; name?: string };
  /** Address the assistant in the platform's own mention form (entity, `<@U…>`, mentionedJid, ...). */
  mention?: boolean;
  /** A file attached to the message (only used when the adapter's `limits.attachments` is true). */
  attachment?: ContractFile;
}

/** What the driver put on the platform: the ids the adapter must hand to `host.receive` unchanged. */
export interface ContractInjected {
  chatId: string;
  platformMessageId: string;
  senderId: string;
  /** The text as the platform carries it (including any mention form the driver wrote into it). */
  text: string;
}

/** One text message the platform received from the adapter. */
export interface ContractSentText {
  chatId: string;
  text: string;
  platformMessageId: string;
  /** The platform message it replies to, when the platform has replies. */
  replyTo?: string;
}

/** One typing action the platform received (Telegram sendChatAction, WhatsApp presence `composing`, ...). */
export interface ContractTyping {
  chatId: string;
}

/** One file the platform received from the adapter. */
export interface ContractUpload {
  chatId: string;
  name: string;
  content: Uint8Array;
  /** Text sent with the file, when the platform carries it on the same message. */
  caption?: string;
}

/** A card (a message with buttons) as the fake platform received it. */
export interface ContractSentCard {
  chatId: string;
  platformMessageId: string;
  /** The text shown with the buttons. */
  text: string;
  /** Each button: what it says and what a tap carries back (Telegram `callback_data`, Slack `value`, Discord `custom_id`). */
  buttons: readonly { label: string; data: string }[];
}

/** A person's tap on a card's button, as the driver puts it on the platform. */
export interface ContractTapInput {
  card: ContractSentCard;
  /** The `data` of the tapped button (a test may forge one that no button carries). */
  data: string;
  user: { id: string; name?: string };
}

/** The tap as the platform saw it. */
export interface ContractTap {
  /** What the platform id of this tap is (the same id on `replayTap`). */
  platformActionId: string;
  /**
   * Resolves with the text the adapter showed the tapper in answer (callback answer, ephemeral message or
   * response), once it did.
   */
  answered(): Promise<string>;
}

/** What the fake platform offers for cards and direct chats (each member only where the platform has them). */
export interface ChannelContractCardDriver {
  /** Cards the platform received, in order. */
  sentCards(): readonly ContractSentCard[];
  /** A person taps a button. */
  tap(input: ContractTapInput): Promise<ContractTap>;
  /** The platform delivers the same tap again (a retried webhook, a redelivered envelope). */
  replayTap(tap: ContractTap): Promise<void>;
}

/**
 * The card driver of a fake whose `tap` returns its own tap object and whose `replayTap` takes that object back:
 * remembers each tap by its platform id, so the contract's `replayTap` (which only has the id) finds it.
 */
export function rememberingCardDriver<T extends ContractTap>(fake: {
  readonly cards: readonly ContractSentCard[];
  tap(input: ContractTapInput): T;
  replayTap(tap: NoInfer<T>): unknown;
}): ChannelContractCardDriver {
  const taps = new Map<string, T>();
  return {
    sentCards: () => fake.cards,
    async tap(input) {
      const tap = fake.tap(input);
      taps.set(tap.platformActionId, tap);
      return tap;
    },
    async replayTap(input) {
      const tap = taps.get(input.platformActionId);
      if (!tap) throw new Error(`channel contract: no tap ${input.platformActionId}`);
      fake.replayTap(tap);
    },
  };
}

export interface ChannelContractDirectChatDriver {
  /** Whether `chatId` is the platform's one-to-one chat between the bot and this user. */
  isDirectChatWith(chatId: string, userId: string): boolean | Promise<boolean>;
}

/** Drives the fake platform: what a user does, what the platform saw, and the faults it can inject. */
export interface ChannelContractDriver {
  /** Puts a user message on the platform for the adapter to pick up. */
  injectText(input: ContractInboundInput): Promise<ContractInjected>;
  /** Delivers the same platform message again (a new update/envelope carrying the same message id). */
  redeliver(message: ContractInjected): Promise<void>;
  /**
   * True once the adapter told the platform the message is handled (Telegram offset past it, Slack envelope
   * acked, ...). Omit when the platform has no app-level acknowledgement: the ack-order case then checks that a slow
   * `host.receive` stores the message once.
   */
  isAcknowledged?(message: ContractInjected): boolean | Promise<boolean>;
  /** Text messages the platform received, in order. */
  sentTexts(): readonly ContractSentText[];
  /** Typing actions the platform received, in order. */
  typingEvents(): readonly ContractTyping[];
  /** Files the platform received, in order. */
  uploads(): readonly ContractUpload[];
  /** The next send call (text or file) fails with HTTP 429 and this retry-after (the driver rounds as its platform does). */
  failNextSend(retryAfterMs: number): void;
  /** Drops the adapter's connection (long poll, websocket) as a network failure would; the platform stays up. */
  dropConnection(): Promise<void>;
  /** Present exactly when the adapter has `sendCard`. */
  cards?: ChannelContractCardDriver;
  /** Present exactly when the adapter has `openDirectChat`. */
  directChats?: ChannelContractDirectChatDriver;
}

/** A fresh world for one test: the unstarted adapter, the fake platform behind it, a chat both can use. */
export interface ChannelContractHarness {
  /** Not started yet: the suite calls `start(host)` and `stop()`. */
  adapter: ChannelAdapter;
  driver: ChannelContractDriver;
  /** A group chat on the fake platform that the adapter may send to and the driver may inject into. */
  chatId: string;
  /** Default `adapter.limits`. */
  limits?: ChannelLimits;
  /** Reads an inbound attachment's bytes by its `ref` (through the adapter's own download); checked when given. */
  readAttachment?(ref: string): Promise<Uint8Array>;
  /** Stops the fake platform and removes the harness's files (the suite has stopped the adapter already). */
  teardown(): Promise<void>;
}

/** The cases of the suite, by id; `skip` takes a reason per id. */
export type ChannelContractCase =
  | 'inbound'
  | 'mention'
  | 'dedupe'
  | 'ack-order'
  | 'split'
  | 'typing'
  | 'attachment-in'
  | 'attachment-out'
  | 'rate-limit'
  | 'reconnect'
  | 'stop'
  | 'card'
  | 'direct-chat';

export const CHANNEL_CONTRACT_CASES: readonly ChannelContractCase[] = [
  'inbound',
  'mention',
  'dedupe',
  'ack-order',
  'split',
  'typing',
  'attachment-in',
  'attachment-out',
  'rate-limit',
  'reconnect',
  'stop',
  'card',
  'direct-chat',
];

export interface ChannelContractOptions {
  /** Shown in the suite's name, e.g. `telegram`. */
  name: string;
  /** A fresh world per test. */
  setup(): Promise<ChannelContractHarness>;
  /**
   * What the adapter does with a 429: `error` (default) — `send` rejects with an Error carrying
   * `ChannelErrorInfo.retryAfterMs` and sends nothing, so the outbox retries later; `retry` — the adapter (or its
   * SDK) waits out retry-after itself and `send` resolves after the message went through once.
   */
  rateLimit?: 'error' | 'retry';
  /** Maps a sent text back to the markdown the adapter was given (e.g. Slack `<url|text>` → `[text](url)`). */
  normalizeSentText?(text: string): string;
  /** Cases that cannot run for this adapter, with the reason (printed as the skip note). */
  skip?: Partial<Record<ChannelContractCase, string>>;
  /**
   * Whether the platform has interactive messages: then the adapter must have `sendCard` and the driver `cards`;
   * otherwise the suite asserts both are absent (the host falls back to a numbered list). Default false.
   */
  cards?: boolean;
  /** Whether the bot can open a one-to-one chat with a user: `openDirectChat` and `directChats`. Default false. */
  directChats?: boolean;
  /** The platform user id the direct-chat case opens a chat with (default `U-owner`). */
  directChatUserId?: string;
  /** How long to wait for something to show up (default 10 s). */
  waitMs?: number;
  /** Per-test timeout (default 30 s). */
  timeoutMs?: number;
}

/**
 * The host side of the channel contract: a `ChannelHost` that stores each message once (keyed by channel +
 * account + chat + platform message id, like the real inbox), answers `duplicate: true` for redeliveries, and can
 * hold `receive` open so a test can check the adapter does not acknowledge the platform too early.
 */
export interface ContractHost extends ChannelHost {
  /** Every `receive` call, duplicates included, in order. */
  readonly calls: readonly InboundMessageInput[];
  /** Messages stored once each (parsed with `inboundMessageSchema`), in order. */
  readonly stored: readonly InboundMessage[];
  /** `receive` calls that answered `duplicate: true`. */
  readonly duplicates: number;
  /** From now on `receive` waits (after recording the call) until the returned release function is called. */
  hold(): () => void;
  /** The next `times` (default 1) `receive` calls reject with this error (after recording it); nothing is stored. */
  failNextReceive(error?: Error, times?: number): void;
  /** Resolves with the stored messages once there are `count`; rejects after `timeoutMs` (default 15 s). */
  waitForStored(count: number, timeoutMs?: number): Promise<readonly InboundMessage[]>;
  /** Every `receiveAction` call, in order. */
  readonly actions: readonly CardAction[];
  /** How `receiveAction` answers from now on (default: accepted, `ok: <data>`). */
  answerActions(answer: (action: CardAction) => CardActionResult): void;
}

export function createContractHost(logger: Logger = silentLogger()): ContractHost {
  const calls: InboundMessageInput[] = [];
  const stored: InboundMessage[] = [];
  const keys = new Set<string>();
  let duplicates = 0;
  const gate = createHoldGate();
  let nextError: Error | undefined;
  let failures = 0;
  const waiters = new Set<() => void>();
  const actions: CardAction[] = [];
  let answer = (action: CardAction): CardActionResult => ({ accepted: true, text: `ok: ${action.data}` });

  return {
    logger,
    calls,
    stored,
    actions,
    answerActions(next) {
      answer = next;
    },
    async receiveAction(action) {
      actions.push(action);
      return answer(action);
    },
    get duplicates() {
      return duplicates;
    },
    hold: gate.hold,
    failNextReceive(error = new Error('contract host: receive failed'), times = 1) {
      nextError = error;
      failures = times;
    },
    waitForStored(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (stored.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(stored);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`contract host: timed out waiting for ${count} stored message(s)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async receive(input) {
      calls.push(input);
      const held = gate.pending();
      if (held) await held;
      if (nextError && failures > 0) {
        const error = nextError;
        failures -= 1;
        if (failures === 0) nextError = undefined;
        throw error;
      }
      const message = inboundMessageSchema.parse(input);
      const key = [message.channel, message.accountId, message.chatId, message.platformMessageId].join(
        '\u0000',
      );
      if (keys.has(key)) {
        duplicates += 1;
        return { duplicate: true };
      }
      keys.add(key);
      stored.push(message);
      for (const wake of [...waiters]) wake();
      return { duplicate: false };
    },
  };
}

/** A `Logger` that drops everything (the contract asserts on behaviour, not log lines). */
export function silentLogger(): Logger {
  return coreSilentLogger;
}

const RATE_LIMIT_MS = 1000;

/** What `channelFactoryContract` needs: the factory as a registry hands it out, and a fake platform for its env. */
export interface ChannelFactoryContractOptions {
  channel: string;
  requiredEnv: readonly string[];
  /** The factory after registering it (twice: registering is idempotent), as `registry.get(channel)` returns it. */
  registeredFactory(): ChannelFactory | undefined;
  /** A fake platform: the env that points the factory at it, a chat to send to, and how to close it. */
  startFake(): Promise<{ env: Record<string, string>; chatId: string; close(): Promise<void> }>;
}

/** A registered channel factory builds, from env alone, an adapter that starts, sends and stops. */
export function channelFactoryContract(options: ChannelFactoryContractOptions): void {
  describe(`${options.channel} in the channel registry`, () => {
    it('registers its factory, which builds a working adapter from env', async () => {
      const factory = options.registeredFactory();
      expect(factory?.requiredEnv).toEqual(options.requiredEnv);
      const fake = await options.startFake();
      try {
        const adapter = factory?.create({ accountId: 'default', env: fake.env, logger: silentLogger() });
        if (!adapter || 'skipped' in adapter) throw new Error('expected an adapter');
        await adapter.start(createContractHost());
        const sent = await adapter.send({
          channel: options.channel,
          accountId: 'default',
          chatId: fake.chatId,
          text: 'hi from the registry',
          idempotencyKey: 'r1',
        });
        expect(sent.platformMessageIds).toHaveLength(1);
        await adapter.stop();
      } finally {
        await fake.close();
      }
    });
  });
}

/**
 * The contract every `ChannelAdapter` passes against its fake platform: inbound text with stable platform ids,
 * mentions, dedupe of redelivered messages, acknowledging the platform only after `host.receive` resolved, long
 * text split at the platform limit without breaking words, code fences or links, typing, attachments both ways
 * (skipped when `limits.attachments` is false), 429 handling, reconnect after a dropped connection, and a clean
 * stop. Call it at the top level of a test file: `channelContract({ name: 'telegram', setup })`.
 */
export function channelContract(options: ChannelContractOptions): void {
  describeContract(`channel contract: ${options.name}`, new ChannelSuite(options), [
    receiveCases,
    redeliveryCases,
    sendCases,
    attachmentCases,
    resilienceCases,
    cardCases,
  ]);
}

/** The state of one `channelContract` suite (a fresh world per test) and the helpers its cases share. */
class ChannelSuite implements ContractSuite {
  readonly timeout: number;
  readonly rateLimit: 'error' | 'retry';
  readonly normalize: (text: string) => string;
  harness!: ChannelContractHarness;
  host!: ContractHost;
  adapter!: ChannelAdapter;
  driver!: ChannelContractDriver;
  chatId!: string;
  limits!: ChannelLimits;
  running = false;
  readonly cards: boolean;
  readonly directChats: boolean;
  readonly directChatUserId: string;
  readonly #options: ChannelContractOptions;
  readonly #waitMs: number;

  constructor(options: ChannelContractOptions) {
    this.#options = options;
    this.timeout = options.timeoutMs ?? 30_000;
    this.#waitMs = options.waitMs ?? 10_000;
    this.rateLimit = options.rateLimit ?? 'error';
    this.normalize = options.normalizeSentText ?? ((text: string) => text);
    this.cards = options.cards ?? false;
    this.directChats = options.directChats ?? false;
    this.directChatUserId = options.directChatUserId ?? 'U-owner';
  }

  async setUp(): Promise<void> {
    this.harness = await this.#options.setup();
    ({ adapter: this.adapter, driver: this.driver, chatId: this.chatId } = this.harness);
    this.limits = this.harness.limits ?? this.adapter.limits;
    this.host = createContractHost();
    await this.adapter.start(this.host);
    this.running = true;
  }

  async tearDown(): Promise<void> {
    if (this.running) await this.adapter.stop();
    this.running = false;
    await this.harness.teardown();
  }

  readonly waitFor = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>) =>
    poll(what, probe, this.#waitMs);

  readonly contractCase = (id: ChannelContractCase, title: string, fn: (ctx: TestContext) => Promise<void>) =>
    it(
      `${id}: ${title}`,
      async (ctx) => {
        const reason = this.#options.skip?.[id];
        if (reason) ctx.skip(reason);
        await fn(ctx);
      },
      this.timeout,
    );

  readonly receiveOne = async (input: ContractInboundInput) => {
    const injected = await this.driver.injectText(input);
    const message = await this.waitFor(`host.receive for ${injected.platformMessageId}`, () =>
      this.host.stored.find((m) => m.platformMessageId === injected.platformMessageId),
    );
    return { injected, message };
  };

  readonly outbound = (text: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
    channel: this.adapter.channel,
    accountId: this.adapter.accountId,
    chatId: this.chatId,
    text,
    idempotencyKey: `contract-${Math.random().toString(36).slice(2)}`,
    ...extra,
  });
}

/** Inbound: a user text with stable ids, and mentions. */
function receiveCases(suite: ChannelSuite): void {
  const { contractCase, receiveOne } = suite;
  contractCase('inbound', 'a user text reaches host.receive with stable platform ids', async () => {
    const { adapter, chatId, host } = suite;
    const { injected, message } = await receiveOne({ chatId, text: 'hello from the contract' });
    expect(message.channel).toBe(adapter.channel);
    expect(message.accountId).toBe(adapter.accountId);
    expect(message.chatId).toBe(injected.chatId);
    expect(message.platformMessageId).toBe(injected.platformMessageId);
    expect(message.sender.id).toBe(injected.senderId);
    expect(message.sender.isBot).not.toBe(true);
    expect(message.text).toBe('hello from the contract');
    expect(Number.isNaN(Date.parse(message.sentAt))).toBe(false);
    expect(host.calls).toHaveLength(1);
  });

  contractCase(
    'mention',
    'the platform mention form sets mentionsAssistant; plain text does not',
    async () => {
      const { adapter, chatId } = suite;
      const plain = await receiveOne({ chatId, text: 'just chatting here' });
      const addressed = await receiveOne({ chatId, text: 'what is the time', mention: true });
      expect(plain.message.mentionsAssistant ?? false).toBe(false);
      expect(addressed.message.mentionsAssistant).toBe(true);
      expect(addressed.message.text).toContain('what is the time');
      if (adapter.isMention) {
        expect(adapter.isMention(addressed.injected.text)).toBe(true);
        expect(adapter.isMention(plain.injected.text)).toBe(false);
      }
    },
  );
}

/** A redelivered message, and when the platform is acknowledged. */
function redeliveryCases(suite: ChannelSuite): void {
  const { contractCase, waitFor, receiveOne } = suite;
  contractCase(
    'dedupe',
    'a redelivered message is stored once (handed to the host again, or dropped by the adapter) and acknowledged',
    async () => {
      const { driver, chatId, host } = suite;
      const { injected } = await receiveOne({ chatId, text: 'say this only once' });
      await driver.redeliver(injected);
      const same = () => host.calls.filter((m) => m.platformMessageId === injected.platformMessageId);
      // An adapter may hand the redelivery to the host (which answers duplicate) or drop it from its own memory.
      await poll(
        'the redelivered message at host.receive',
        () => (same().length >= 2 ? true : undefined),
        1000,
      ).catch(() => undefined);
      const again = same();
      expect(again.length).toBeLessThanOrEqual(2);
      if (again.length === 2) {
        expect(again[1]?.chatId).toBe(again[0]?.chatId);
        expect(again[1]?.sender.id).toBe(again[0]?.sender.id);
        expect(host.duplicates).toBe(1);
      }
      expect(host.stored.filter((m) => m.platformMessageId === injected.platformMessageId)).toHaveLength(1);
      if (driver.isAcknowledged) {
        await waitFor('the duplicate acknowledged', async () =>
          (await driver.isAcknowledged?.(injected)) ? true : undefined,
        );
      }
      // The adapter keeps going after a duplicate.
      await receiveOne({ chatId, text: 'and this one after it' });
      expect(driver.sentTexts()).toHaveLength(0);
    },
  );

  contractCase(
    'ack-order',
    'the platform is acknowledged only after host.receive resolved (no ack: a slow receive loses nothing)',
    async () => {
      const { driver, chatId, host } = suite;
      const release = host.hold();
      const injected = await driver.injectText({ chatId, text: 'hold this one' });
      await waitFor('host.receive called', () =>
        host.calls.some((m) => m.platformMessageId === injected.platformMessageId) ? true : undefined,
      );
      await sleep(300);
      const isAcknowledged = driver.isAcknowledged;
      if (isAcknowledged) expect(await isAcknowledged(injected)).toBe(false);
      release();
      if (isAcknowledged) {
        await waitFor('the message acknowledged after receive resolved', async () =>
          (await isAcknowledged(injected)) ? true : undefined,
        );
      }
      await waitFor('the held message stored', () =>
        host.stored.some((m) => m.platformMessageId === injected.platformMessageId) ? true : undefined,
      );
      await sleep(200);
      expect(host.stored.filter((m) => m.platformMessageId === injected.platformMessageId)).toHaveLength(1);
    },
  );
}

/** Outbound: long text split at the limit, and typing. */
function sendCases(suite: ChannelSuite): void {
  const { contractCase, normalize, waitFor, outbound } = suite;
  contractCase(
    'split',
    'long text is split at the limit without breaking words, code fences or links',
    async () => {
      const { adapter, driver, chatId, limits } = suite;
      const sample = longContractText(limits.maxTextLength);
      const result = await adapter.send(outbound(sample.text));
      const sent = await waitFor('the split parts on the platform', () => {
        const mine = driver.sentTexts().filter((s) => s.chatId === chatId);
        return mine.length >= result.platformMessageIds.length && mine.length > 0 ? mine : undefined;
      });
      const parts = sent.map((s) => s.text);
      expect(parts.length).toBeGreaterThan(sample.text.length > limits.maxTextLength ? 1 : 0);
      expect(result.platformMessageIds).toHaveLength(parts.length);
      expect(new Set(result.platformMessageIds).size).toBe(parts.length);
      expect(sent.map((s) => s.platformMessageId)).toEqual(result.platformMessageIds);
      for (const part of parts) {
        expect(part.length).toBeLessThanOrEqual(limits.maxTextLength);
        expect(part.trim().length).toBeGreaterThan(0);
      }
      const normalized = parts.map(normalize);
      for (const part of normalized)
        expect(countFenceLines(part) % 2, `unbalanced fence in:\n${part}`).toBe(0);
      expect(proseTokens(normalized.join('\n'))).toEqual(proseTokens(sample.text));
      expect(normalized.some((part) => part.includes(sample.link))).toBe(true);
    },
  );

  contractCase(
    'typing',
    'setTyping shows a typing action (or, declared absent, none and no error)',
    async () => {
      const { adapter, driver, chatId, limits } = suite;
      if (!limits.typingIndicator) {
        await adapter.setTyping?.(chatId, true);
        await sleep(200);
        expect(driver.typingEvents()).toEqual([]);
        return;
      }
      expect(adapter.setTyping).toBeTypeOf('function');
      await adapter.setTyping?.(chatId, true);
      await waitFor('a typing action', () => driver.typingEvents().find((t) => t.chatId === chatId));
      await adapter.setTyping?.(chatId, false);
    },
  );
}

/** Files both ways (skipped when `limits.attachments` is false). */
function attachmentCases(suite: ChannelSuite): void {
  const { contractCase, normalize, waitFor, receiveOne, outbound } = suite;
  contractCase(
    'attachment-in',
    'an inbound file arrives as an attachment with name, type, size and ref',
    async (ctx) => {
      const { chatId, limits, harness } = suite;
      if (!limits.attachments) ctx.skip('limits.attachments is false');
      const content = new TextEncoder().encode('contract attachment bytes\n');
      const { message } = await receiveOne({
        chatId,
        text: 'see the attached notes',
        attachment: { name: 'notes.txt', mimeType: 'text/plain', content },
      });
      expect(message.text).toContain('see the attached notes');
      const [attachment] = message.attachments ?? [];
      expect(attachment).toBeDefined();
      expect(attachment?.name).toBe('notes.txt');
      expect(attachment?.mimeType).toBe('text/plain');
      expect(attachment?.sizeBytes).toBe(content.byteLength);
      expect(attachment?.ref.length).toBeGreaterThan(0);
      if (harness.readAttachment && attachment) {
        expect(Buffer.from(await harness.readAttachment(attachment.ref))).toEqual(Buffer.from(content));
      }
    },
  );

  contractCase(
    'attachment-out',
    'an outbound attachment (absolute path ref) is uploaded with its text',
    async (ctx) => {
      const { adapter, driver, chatId, limits } = suite;
      if (!limits.attachments) ctx.skip('limits.attachments is false');
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-channel-contract-'));
      try {
        const file = path.join(dir, 'report.txt');
        const content = Buffer.from('the contract report\n');
        await fs.writeFile(file, content);
        const text = 'here is the report';
        const result = await adapter.send(
          outbound(text, {
            attachments: [
              { name: 'report.txt', mimeType: 'text/plain', sizeBytes: content.length, ref: file },
            ],
          }),
        );
        const upload = await waitFor('the uploaded file', () =>
          driver.uploads().find((u) => u.chatId === chatId && u.name === 'report.txt'),
        );
        expect(Buffer.from(upload.content)).toEqual(content);
        const texts = [
          ...driver.sentTexts().map((s) => s.text),
          ...driver.uploads().map((u) => u.caption ?? ''),
        ];
        expect(texts.map(normalize).some((t) => t.includes(text))).toBe(true);
        expect(result.platformMessageIds.length).toBeGreaterThan(0);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  );
}

/** A 429, a dropped connection, and stop. */
function resilienceCases(suite: ChannelSuite): void {
  const { contractCase, rateLimit, normalize, waitFor, receiveOne, outbound } = suite;
  contractCase('rate-limit', `a 429 with retry-after is handled (${rateLimit})`, async () => {
    const { adapter, driver } = suite;
    driver.failNextSend(RATE_LIMIT_MS);
    const text = 'rate limited hello';
    const started = Date.now();
    if (rateLimit === 'error') {
      const error = await adapter.send(outbound(text)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, 'send rejects on 429').toBeInstanceOf(Error);
      const info = error as ChannelErrorInfo;
      expect(info.retryAfterMs).toBeGreaterThanOrEqual(RATE_LIMIT_MS);
      expect(info.permanent ?? false).toBe(false);
      expect(driver.sentTexts().filter((s) => s.text === text)).toHaveLength(0);
      await adapter.send(outbound(text));
    } else {
      await adapter.send(outbound(text));
      expect(Date.now() - started).toBeGreaterThanOrEqual(RATE_LIMIT_MS - 100);
    }
    expect(driver.sentTexts().filter((s) => normalize(s.text) === text)).toHaveLength(1);
  });

  contractCase('reconnect', 'after a dropped connection inbound and outbound work again', async () => {
    const { adapter, driver, chatId } = suite;
    await receiveOne({ chatId, text: 'before the drop' });
    await driver.dropConnection();
    await receiveOne({ chatId, text: 'after the drop' });
    await adapter.send(outbound('still here'));
    await waitFor('a send after the drop', () => driver.sentTexts().find((s) => s.text === 'still here'));
  });

  contractCase('stop', 'after stop nothing more is delivered, and stop is idempotent', async () => {
    const { adapter, driver, chatId, host } = suite;
    await receiveOne({ chatId, text: 'while running' });
    await adapter.stop();
    suite.running = false;
    await adapter.stop();
    await driver.injectText({ chatId, text: 'after stop' });
    await sleep(500);
    expect(host.calls.map((m) => m.text)).not.toContain('after stop');
  });
}

/** Cards with buttons and taps on them, and direct chats; asserted absent where the platform has none. */
function cardCases(suite: ChannelSuite): void {
  const { contractCase, waitFor } = suite;
  contractCase(
    'card',
    suite.cards
      ? 'a card shows buttons; a tap reaches receiveAction and its answer reaches the tapper'
      : 'no sendCard: the host sends a numbered list instead',
    async () => {
      const { adapter, driver, chatId, host } = suite;
      if (!suite.cards) {
        expect(adapter.sendCard, 'sendCard is absent').toBeUndefined();
        expect(driver.cards, 'the driver has no cards').toBeUndefined();
        return;
      }
      const cards = driver.cards;
      if (!adapter.sendCard || !cards) throw new Error('cards: true needs adapter.sendCard and driver.cards');
      const data = (n: number) => `nc1:c0ntract${n}:${'x'.repeat(64)}`.slice(0, 64);
      const sent = await adapter.sendCard({
        channel: adapter.channel,
        accountId: adapter.accountId,
        chatId,
        text: 'Let stranger talk to the agent?',
        options: [
          { label: 'Approve', data: data(1) },
          { label: 'Reject', data: data(2) },
        ],
      });
      expect(sent.platformMessageIds).toHaveLength(1);
      const card = await waitFor('the card', () =>
        cards.sentCards().find((c) => c.platformMessageId === sent.platformMessageIds[0]),
      );
      expect(card.chatId).toBe(chatId);
      expect(card.text).toContain('Let stranger talk to the agent?');
      expect(card.buttons).toEqual([
        { label: 'Approve', data: data(1) },
        { label: 'Reject', data: data(2) },
      ]);
      host.answerActions((action) => ({
        accepted: action.data === data(1),
        text: `seen ${action.data.length}`,
      }));
      const tap = await cards.tap({ card, data: data(1), user: { id: 'U-tapper', name: 'Tapper' } });
      const action = await waitFor('receiveAction', () => host.actions[0]);
      expect(action).toMatchObject({
        channel: adapter.channel,
        accountId: adapter.accountId,
        chatId,
        platformActionId: tap.platformActionId,
        data: data(1),
        user: { id: 'U-tapper' },
      });
      expect(await tap.answered()).toContain('seen 64');
      const forged = await cards.tap({ card, data: 'nc1:forged', user: { id: 'U-other' } });
      await waitFor('the forged tap', () => host.actions[1]);
      expect(host.actions[1]).toMatchObject({ data: 'nc1:forged', user: { id: 'U-other' } });
      expect(await forged.answered()).toContain('seen 10');
      await cards.replayTap(tap);
      const replayed = await waitFor('the replayed tap', () => host.actions[2]);
      expect(replayed.platformActionId).toBe(tap.platformActionId);
      expect(replayed.data).toBe(data(1));
    },
  );

  contractCase(
    'direct-chat',
    suite.directChats
      ? 'openDirectChat gives a one-to-one chat the adapter can send to'
      : 'no openDirectChat',
    async () => {
      const { adapter, driver } = suite;
      if (!suite.directChats) {
        expect(adapter.openDirectChat, 'openDirectChat is absent').toBeUndefined();
        expect(driver.directChats).toBeUndefined();
        return;
      }
      const direct = driver.directChats;
      if (!adapter.openDirectChat || !direct)
        throw new Error('directChats: true needs adapter.openDirectChat and driver.directChats');
      const user = suite.directChatUserId;
      const chatId = await adapter.openDirectChat(user);
      expect(await direct.isDirectChatWith(chatId, user)).toBe(true);
      expect(await adapter.openDirectChat(user)).toBe(chatId);
      await adapter.send(suite.outbound('for your eyes only', { chatId }));
      await waitFor('the direct message', () =>
        driver.sentTexts().find((s) => s.chatId === chatId && s.text === 'for your eyes only'),
      );
    },
  );
}

/** A text of about 2.6× the limit (at most 90k chars): numbered prose, a code fence and a link near the cuts. */
export function longContractText(limit: number): { text: string; link: string } {
  const total = Math.min(Math.floor(limit * 2.6), 90_000);
  const link = '[the contract docs](https://example.com/contract/docs?page=2&x=1)';
  let n = 0;
  const prose = (length: number) => {
    const words: string[] = [];
    let size = 0;
    while (size < length) {
      n += 1;
      const word = n % 11 === 0 ? `word${n}.\n\n` : `word${n} `;
      words.push(word);
      size += word.length;
    }
    return words.join('');
  };
  const code = (length: number) => {
    const lines = ['```ts\n'];
    let size = 0;
    while (size < length) {
      n += 1;
      const line = `const value${n} = compute(${n});\n`;
      lines.push(line);
      size += line.length;
    }
    lines.push('```\n');
    return lines.join('');
  };
  const unit = total / 2.6;
  const text =
    `${prose(unit * 0.7)}\n${code(unit * 0.6)}\n${prose(unit * 0.6)}${link} ${prose(unit * 0.7)}`.trim();
  return { text, link };
}

/** Whitespace-separated tokens without fence markers: what must survive a split, in order. */
function proseTokens(text: string): string[] {
  return text.split(/\s+/).filter((token) => token !== '' && !token.startsWith('```'));
}

function countFenceLines(text: string): number {
  return text.split('\n').filter((line) => line.trimStart().startsWith('```')).length;
}

async function poll<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`channel contract: timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
