import { createProcessRuntime } from '@nanoclaw/container-runner';
import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelFactory,
  type ChannelHost,
  type OutboundMessage,
} from '@nanoclaw/core';
import { startTestHost } from './e2e-host.js';

/** A chat platform in memory: what the host sees of any channel package. Test helper. */
export interface MemoryChannel {
  /** Starts the adapter when `MEMCHAT_TOKEN` is in the channel env. */
  factory: ChannelFactory;
  /** Everything the host sent, across host restarts. */
  sent: OutboundMessage[];
  /** A user writes in `chatId` (default `chat-1`); resolves once the host stored it. */
  say(id: string, text: string, chatId?: string): Promise<{ duplicate: boolean }>;
  /** The replies sent that contain `text`. */
  repliesWith(text: string): OutboundMessage[];
}

export function createMemoryChannel(): MemoryChannel {
  const sent: OutboundMessage[] = [];
  let host: ChannelHost | undefined;
  const adapter: ChannelAdapter = {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: 'memchat',
    accountId: 'default',
    limits: { maxTextLength: 4096, attachments: false, typingIndicator: false },
    start: async (h) => {
      host = h;
    },
    stop: async () => {
      host = undefined;
    },
    send: async (message) => {
      sent.push(message);
      return { platformMessageIds: [`out-${sent.length}`] };
    },
  };
  const factory: ChannelFactory = {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: 'memchat',
    requiredEnv: ['MEMCHAT_TOKEN'],
    create: ({ env }) => (env.MEMCHAT_TOKEN ? adapter : { skipped: 'no MEMCHAT_TOKEN' }),
  };
  return {
    factory,
    sent,
    say: (id, text, chatId = 'chat-1') => {
      if (!host) throw new Error('the memory channel is not started');
      return host.receive({
        channel: 'memchat',
        chatId,
        platformMessageId: id,
        sender: { id: 'u1', name: 'Ann' },
        text,
        sentAt: new Date().toISOString(),
      });
    },
    repliesWith: (text) => sent.filter((message) => message.text.includes(text)),
  };
}

/** A test host on the process runtime with `chat` as its (only configured) chat platform. */
export function startHostWithChannel(root: string, chat: MemoryChannel): ReturnType<typeof startTestHost> {
  const runtime = createProcessRuntime({ unsafeAllowNoIsolation: true });
  return startTestHost(root, runtime, {}, { channels: [chat.factory], channelEnv: { MEMCHAT_TOKEN: 'x' } });
}
