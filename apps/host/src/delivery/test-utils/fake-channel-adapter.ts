import { ChannelError } from '@nanoclaw/channel-registry';
import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelErrorInfo,
  type OutboundMessage,
  type SendResult,
} from '@nanoclaw/core';
import { createHoldGate } from '@nanoclaw/testing';

/** Test-only: a channel adapter that records sends and fails on demand. */
export interface FakeChannelAdapter extends ChannelAdapter {
  readonly sent: OutboundMessage[];
  /** Every call to `send`, failed ones included. */
  readonly calls: OutboundMessage[];
  /** The next sends throw these, in order (one per call). */
  failNext(...errors: Array<Error & ChannelErrorInfo>): void;
  /** Holds sends until the returned release function is called. */
  hold(): () => void;
}

export function channelError(message: string, info: ChannelErrorInfo = {}): ChannelError {
  return new ChannelError(message, info);
}

export function createFakeChannelAdapter(channel = 'telegram', accountId = 'default'): FakeChannelAdapter {
  const sent: OutboundMessage[] = [];
  const calls: OutboundMessage[] = [];
  const failures: Array<Error & ChannelErrorInfo> = [];
  const gate = createHoldGate();
  let counter = 0;
  return {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel,
    accountId,
    limits: { maxTextLength: 4096, attachments: false, typingIndicator: false },
    sent,
    calls,
    async start() {},
    async stop() {},
    async send(message): Promise<SendResult> {
      calls.push(message);
      const held = gate.pending();
      if (held) await held;
      const failure = failures.shift();
      if (failure) throw failure;
      sent.push(message);
      counter += 1;
      return { platformMessageIds: [`${channel}-${counter}`] };
    },
    failNext(...errors) {
      failures.push(...errors);
    },
    hold: gate.hold,
  };
}
