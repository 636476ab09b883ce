import { type FakeDiscord, startFakeDiscord } from '@nanoclaw/channel-discord/test';
import { type FakeSlack, startFakeSlack } from '@nanoclaw/channel-slack/test';
import { createFakeTelegramServer, type FakeTelegramServer } from '@nanoclaw/channel-telegram/test';
import type { ContainerRuntime } from '@nanoclaw/core';
import type { HostClient } from '../../cli/index.js';
import { configFor, runCli } from '../../cli/test-utils.js';
import type { RunningHost } from '../../start-host.js';
import type { SuiteProject } from './e2e-host.js';
import { startTestHost } from './e2e-host.js';

/** The loopback fakes of the three platforms with buttons, and a host started on them (restartable). */
export interface PeopleWorld {
  telegram: FakeTelegramServer;
  slack: FakeSlack;
  discord: FakeDiscord;
  host: RunningHost;
  client: HostClient;
  /** Runs `nanoclaw <args>` (the real CLI commands) against the running host. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Stops the host and starts it again on the same project and fakes. */
  restart(): Promise<void>;
}

export async function startPeopleWorld(
  project: SuiteProject,
  runtime: ContainerRuntime,
): Promise<PeopleWorld> {
  const telegram = project.closing(await createFakeTelegramServer());
  const slack = project.closing(await startFakeSlack());
  const discord = project.closing(await startFakeDiscord());
  const channelEnv = {
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    ...slack.env(),
    ...discord.env(),
  };
  const start = () => startTestHost(project.root, runtime, {}, { channelEnv });
  let started = await start();
  project.defer(() => world.host.stop());
  const world: PeopleWorld = {
    telegram,
    slack,
    discord,
    host: started.host,
    client: started.client,
    cli: (...args) =>
      runCli(args, {
        loadConfig: () => configFor(project.root, { NANOCLAW_HTTP_PORT: new URL(world.host.url).port }),
      }),
    async restart() {
      await world.host.stop();
      started = await start();
      world.host = started.host;
      world.client = started.client;
    },
  };
  return world;
}
