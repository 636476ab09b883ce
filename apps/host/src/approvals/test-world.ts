import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type InboundMessageInput,
  type OutboundCard,
} from '@nanoclaw/core';
import { createOutbox, type Outbox } from '../delivery/outbox.js';
import { createGroupRegistry, type GroupRegistry, type RegisteredGroup } from '../groups/group-registry.js';
import { createRecordingLogger, type TestEnv, telegramChat } from '../groups/test-support.js';
import { composePeople, type PeopleParts } from '../host/compose-people.js';
import { createInbox, type Inbox } from '../routing/inbox.js';
import { createInboundRouter, type RouteOutcome } from '../routing/route-inbound.js';
import type { Turn } from '../routing/turn.js';

/** A chat platform with direct chats (`dm-<user>`), with or without buttons; records what it was asked. */
export function fakeAdapter(channel: string, options: { cards: boolean; unreachable?: string[] }) {
  const cards: OutboundCard[] = [];
  const adapter: ChannelAdapter = {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel,
    accountId: 'default',
    limits: { maxTextLength: 4096, attachments: false, typingIndicator: false },
    start: async () => undefined,
    stop: async () => undefined,
    send: async (message) => ({ platformMessageIds: [`m-${message.idempotencyKey}`] }),
    openDirectChat: async (userId) => {
      if (options.unreachable?.includes(userId)) throw new Error(`${userId} never wrote to the bot`);
      return `dm-${userId}`;
    },
    ...(options.cards
      ? {
          sendCard: async (card: OutboundCard) => {
            cards.push(card);
            return { platformMessageIds: [`card-${cards.length}`] };
          },
        }
      : {}),
  };
  return { adapter, cards };
}

export interface ApprovalsWorld {
  registry: GroupRegistry;
  inbox: Inbox;
  outbox: Outbox;
  parts: PeopleParts;
  family: RegisteredGroup;
  turns: Turn[];
  outcomes: RouteOutcome[];
  /** Stores and routes a message as a channel would hand it over. */
  receive(input: Partial<InboundMessageInput> & { text: string; senderId: string }): Promise<RouteOutcome>;
  /** A second composition on the same database: what a restart builds. */
  restart(): PeopleParts;
}

let counter = 0;

/** The host's people, approvals, inbox and router over one database, with `family` bound to telegram chat `fam`. */
export async function createApprovalsWorld(
  env: TestEnv,
  adapters: ChannelAdapter[],
): Promise<ApprovalsWorld> {
  const db = env.database.db;
  const registry = createGroupRegistry({ db, groupsDir: env.groupsDir });
  await registry.add({ folder: 'main', isMain: true });
  const family = await registry.add({ folder: 'family', name: 'Family', chat: { ref: telegramChat('fam') } });
  const inbox = createInbox(db);
  const outbox = createOutbox(db);
  const turns: Turn[] = [];
  const outcomes: RouteOutcome[] = [];
  const logger = createRecordingLogger();
  let router: ReturnType<typeof createInboundRouter>;
  const compose = () =>
    composePeople({
      db,
      registry,
      outbox,
      inbox,
      adapters: () => adapters,
      reroute: async (ids) => {
        for (const stored of await inbox.getMany(ids)) {
          const outcome = await router.route(stored);
          outcomes.push(outcome);
          if (outcome.kind === 'turn') turns.push(outcome.turn);
        }
      },
      logger,
    });
  const parts = compose();
  router = createInboundRouter({
    inbox,
    registry,
    assistantName: 'Andy',
    logger,
    gate: parts.gate,
    answers: parts.approvals,
  });
  return {
    registry,
    inbox,
    outbox,
    parts,
    family,
    turns,
    outcomes,
    restart: compose,
    async receive(input) {
      counter += 1;
      const { senderId, ...rest } = input;
      const stored = await inbox.store({
        channel: 'telegram',
        accountId: 'default',
        chatId: 'fam',
        platformMessageId: `p${counter}`,
        sender: { id: senderId, name: `User ${senderId}` },
        sentAt: new Date().toISOString(),
        ...rest,
      });
      const outcome = await router.route(stored.message);
      outcomes.push(outcome);
      if (outcome.kind === 'turn') turns.push(outcome.turn);
      return outcome;
    },
  };
}
