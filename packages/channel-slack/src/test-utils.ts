import type { OutboundCard } from '@nanoclaw/core';
import { type ContractHost, createContractHost, silentLogger } from '@nanoclaw/testing';
import { afterEach, beforeEach } from 'vitest';
import { type FakeSlack, startFakeSlack } from './fake-slack.js';
import { createSlackChannel, type SlackChannel } from './slack-channel.js';

/** A started Slack channel on a fresh loopback fake, with a contract host behind it. */
export interface SlackTestWorld {
  fake: FakeSlack;
  channel: SlackChannel;
  host: ContractHost;
}

export async function startSlackTestWorld(): Promise<SlackTestWorld> {
  const fake = await startFakeSlack();
  const host = createContractHost();
  const channel = createSlackChannel({
    botToken: fake.botToken,
    appToken: fake.appToken,
    apiUrl: fake.apiUrl,
    logger: silentLogger(),
    clientPingTimeoutMs: 100,
  });
  await channel.start(host);
  return { fake, channel, host };
}

export async function stopSlackTestWorld(world: Pick<SlackTestWorld, 'fake' | 'channel'>): Promise<void> {
  await world.channel.stop();
  await world.fake.close();
}

/** A fresh world for each test of the calling `describe` (started before, stopped after); read it inside tests. */
export function useSlackTestWorld(): SlackTestWorld {
  const world = {} as SlackTestWorld;
  beforeEach(async () => {
    Object.assign(world, await startSlackTestWorld());
  });
  afterEach(() => stopSlackTestWorld(world));
  return world;
}

/** An approval card in C1 with two buttons (the text has `&`, which Slack's mrkdwn escapes). */
export function approvalCard(extra: Partial<OutboundCard> = {}): OutboundCard {
  return {
    channel: 'slack',
    accountId: 'default',
    chatId: 'C1',
    text: 'Let Bob & friends talk to the agent?',
    options: [
      { label: 'Approve', data: 'nc1:yes' },
      { label: 'Reject', data: 'nc1:no' },
    ],
    ...extra,
  };
}
