import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelErrorInfo,
  type OutboundMessage,
  type SendResult,
} from '@nanoclaw/core';

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

export function channelError(message: string, info: ChannelErrorInfo = {}): Error & ChannelErrorInfo {
  return Object.assign(new Error(message), info);
}

export function createFakeChannelAdapter(channel = 'telegram', accountId = 'default'): FakeChannelAdapter {
  const sent: OutboundMessage[] = [];
  const calls: OutboundMessage[] = [];
  const failures: Array<Error & ChannelErrorInfo> = [];
  let gate: Promise<void> | undefined;
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
      if (gate) await gate;
      const failure = failures.shift();
      if (failure) throw failure;
      sent.push(message);
      counter += 1;
      return { platformMessageIds: [`${channel}-${counter}`] };
    },
    failNext(...errors) {
      failures.push(...errors);
    },
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = undefined;
          resolve();
        };
      });
      return release;
    },
  };
}
