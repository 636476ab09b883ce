import path from 'node:path';
import { openDatabase } from '@nanoclaw/db';
import { describe, expect, it } from 'vitest';
import { configFor, runCli } from '../cli/test-utils.js';
import { resolveRuntimes, sandboxRuntimes } from './test-runtimes.js';
import { until, useSuiteProject } from './test-utils/e2e-host.js';
import { type PeopleWorld, startPeopleWorld } from './test-utils/people-world.js';

/**
 * People, access and approvals end to end: the real host with the mock agent in each runtime (default settings),
 * Telegram, Slack and Discord through their loopback fakes, and the real CLI commands. Access requests are held,
 * carded to the owner's direct chat and decided by a tap (across a host restart), a numbered reply or the CLI;
 * the agent's ask_user_question shows buttons or a numbered list and gets the tap, the reply or a timeout.
 */
const targets = await resolveRuntimes(sandboxRuntimes());

const TG_GROUP = -100200;
/** The fake Discord guild's first text channel. */
const DC_CHANNEL = '400000000000000001';
const OWNER = { telegram: 111, slack: 'UOWNER', discord: '600000000000000001' };
const STRANGER = { telegram: 999, slack: 'USTRANGER', discord: '600000000000000009' };
const askTool = (options: string[], timeoutS?: number) =>
  `@Andy\n/tool nanoclaw.ask_user_question ${JSON.stringify({ question: 'Tea or coffee?', options, ...(timeoutS ? { timeoutS } : {}) })}`;

for (const target of targets) {
  describe.skipIf(!target.runtime)(
    `people, access and approvals (${target.name})`,
    { timeout: 240_000 },
    () => {
      let world: PeopleWorld;
      let root: string;

      useSuiteProject(
        `nanoclaw-people-${target.name}`,
        target.runtime,
        async (project, runtime) => {
          root = project.root;
          world = await startPeopleWorld(project, runtime);
          const { client, cli } = world;
          await client.addGroup({
            folder: 'tg',
            name: 'Telegram family',
            chat: { channel: 'telegram', chatId: String(TG_GROUP) },
          });
          await client.addGroup({
            folder: 'sl',
            name: 'Slack team',
            chat: { channel: 'slack', chatId: 'C1' },
          });
          await client.addGroup({
            folder: 'dc',
            name: 'Discord guild',
            chat: { channel: 'discord', chatId: DC_CHANNEL },
          });
          await client.addGroup({ folder: 'lq', name: 'Local questions' });
          world.telegram.startPrivateChat({ id: OWNER.telegram, first_name: 'Olga' });
          for (const [platform, id] of Object.entries(OWNER)) {
            expect((await cli('users', 'add', `${platform}:${id}`, '--role', 'owner')).code).toBe(0);
          }
          for (const folder of ['tg', 'sl', 'dc']) {
            expect((await cli('groups', 'set', folder, '--access', 'request')).code).toBe(0);
          }
        },
        180_000,
      );

      it('Telegram: a stranger is held, the owner taps approve after a restart, the held message is answered', async () => {
        const { telegram } = world;
        telegram.injectMessage({
          chatId: TG_GROUP,
          chatType: 'group',
          from: { id: STRANGER.telegram, first_name: 'Sam' },
          text: '@Andy hello from a stranger',
        });
        const card = await telegram.waitForCard((c) => c.chatId === String(OWNER.telegram), 30_000);
        expect(card.text).toContain('telegram:999');
        expect(card.buttons.map((b) => b.label)).toEqual(['Approve', 'Reject']);
        expect(telegram.sent.filter((m) => m.chatId === String(TG_GROUP))).toEqual([]);

        await world.restart();
        const tap = telegram.tap({ card, label: 'Approve', user: { id: OWNER.telegram } });
        expect(await tap.answered()).toMatch(/telegram:999 is now a member of tg/);
        await until(() => telegram.sent.some((m) => m.chatId === String(TG_GROUP)), 60_000);
        expect(telegram.sent.filter((m) => m.chatId === String(TG_GROUP)).map((m) => m.text)).toEqual([
          'Mock reply to: @Andy hello from a stranger',
        ]);
        const users = JSON.parse((await world.cli('users', 'list', '--json')).stdout) as Array<{
          id: string;
          roles: Array<{ role: string; group: string | null }>;
        }>;
        expect(users.find((u) => u.id === 'telegram:999')?.roles).toEqual([{ role: 'member', group: 'tg' }]);

        telegram.replayTap(tap);
        const again = telegram.tap({ card, label: 'Reject', user: { id: OWNER.telegram } });
        expect(await again.answered()).toMatch(/already approved by telegram:111/);
      });

      it('Slack: rejected by the owner, nothing is answered and the audit says who rejected', async () => {
        const { slack } = world;
        slack.inject({ channel: 'C1', user: STRANGER.slack, text: 'let me in', mention: true });
        const [card] = await slack.waitForCards(1, 30_000);
        if (!card) throw new Error('no card');
        expect(card.chatId).toBe(slack.directChannelOf(OWNER.slack));
        const reject = card.buttons.find((b) => b.label === 'Reject');
        const tap = slack.tap({ card, data: reject?.data ?? '', user: { id: OWNER.slack } });
        expect(await tap.answered()).toMatch(/Rejected by slack:UOWNER/);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        expect(slack.posted.filter((p) => p.channel === 'C1')).toEqual([]);
        const audit = await world.cli('audit', '--group', 'sl', '--json');
        const entries = JSON.parse(audit.stdout) as Array<{ kind: string; action: string; actor: string }>;
        expect(entries).toContainEqual(
          expect.objectContaining({ kind: 'approval', action: 'rejected', actor: 'slack:UOWNER' }),
        );
        expect((await world.cli('audit', '--group', 'sl')).stdout).toMatch(/rejected.*slack:UOWNER/);
      });

      it('Discord: forged, foreign, replayed and expired taps are refused and change nothing', async () => {
        const { discord } = world;
        discord.inject({
          channelId: DC_CHANNEL,
          content: 'hi there',
          authorId: STRANGER.discord,
          mention: true,
        });
        await until(() => discord.cards.length > 0, 30_000);
        const card = discord.cards[0];
        if (!card) throw new Error('no card');
        const approve = card.buttons[0]?.data ?? '';
        const forged = discord.tap({ card, data: 'nc1:zzzzzzzzzz:1', user: { id: OWNER.discord } });
        expect(await forged.answered()).toMatch(/does not belong/);
        const foreign = discord.tap({ card, data: approve, user: { id: STRANGER.discord } });
        expect(await foreign.answered()).toMatch(/not the person asked/);
        const id = approve.split(':')[1] ?? '';
        const pending = JSON.parse((await world.cli('approvals', 'list', '--json')).stdout) as Array<{
          id: string;
          status: string;
        }>;
        expect(pending.find((a) => a.id === id)?.status).toBe('pending');
        await expireApproval(root, id);
        const late = discord.tap({ card, data: approve, user: { id: OWNER.discord } });
        expect(await late.answered()).toMatch(/expired/);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(discord.posted.filter((p) => p.channelId === DC_CHANNEL)).toEqual([]);
        const list = await world.cli('users', 'list', '--json');
        expect(list.stdout).not.toContain(`discord:${STRANGER.discord}`);
      });

      it('members mode drops a stranger’s message and audits it; the agent never sees it', async () => {
        expect((await world.cli('groups', 'set', 'lq', '--access', 'members')).code).toBe(0);
        const sent = await world.cli(
          'send',
          '--group',
          'lq',
          '--sender',
          'stranger',
          '--wait',
          '@Andy secret plan',
        );
        expect(sent.stderr).toMatch(/dropped: this sender is not a member of lq/);
        const audit = JSON.parse((await world.cli('audit', '--group', 'lq', '--json')).stdout) as Array<{
          action: string;
          actor: string;
        }>;
        expect(audit).toContainEqual(expect.objectContaining({ action: 'dropped', actor: 'local:stranger' }));
        expect((await world.cli('groups', 'set', 'lq', '--access', 'public')).code).toBe(0);
      });

      it('ask_user_question: buttons on Telegram, the asker’s tap reaches the agent; someone else’s is refused', async () => {
        const { telegram } = world;
        const before = telegram.cards.length;
        telegram.injectMessage({
          chatId: TG_GROUP,
          chatType: 'group',
          from: { id: OWNER.telegram, first_name: 'Olga' },
          text: askTool(['Tea', 'Coffee']),
        });
        const card = await telegram.waitForCard(
          (c) => c.chatId === String(TG_GROUP) && telegram.cards.indexOf(c) >= before,
          60_000,
        );
        expect(card.buttons.map((b) => b.label)).toEqual(['Tea', 'Coffee']);
        expect(
          await telegram.tap({ card, label: 'Tea', user: { id: STRANGER.telegram } }).answered(),
        ).toMatch(/not the person asked/);
        expect(
          await telegram.tap({ card, label: 'Coffee', user: { id: OWNER.telegram } }).answered(),
        ).toMatch(/Coffee/);
        await until(() => telegram.sent.some((m) => m.text.includes('ask_user_question')), 60_000);
        expect(telegram.sent.find((m) => m.text.includes('ask_user_question'))?.text).toContain(
          '"answer":"Coffee"',
        );
      });

      it('ask_user_question: Slack and Discord buttons reach the agent too', async () => {
        const { slack, discord } = world;
        slack.inject({
          channel: 'C1',
          user: OWNER.slack,
          text: askTool(['Tea', 'Coffee']).replace('@Andy', 'please'),
          mention: true,
        });
        const slackCard = (await slack.waitForCards(2, 60_000))[1];
        if (!slackCard) throw new Error('no slack question card');
        expect(slackCard.chatId).toBe('C1');
        await slack
          .tap({ card: slackCard, data: slackCard.buttons[0]?.data ?? '', user: { id: OWNER.slack } })
          .answered();
        await until(
          () => slack.posted.some((p) => p.channel === 'C1' && p.text.includes('"answer":"Tea"')),
          60_000,
        );

        discord.inject({
          channelId: DC_CHANNEL,
          content: askTool(['Tea', 'Coffee']).replace('@Andy', 'please'),
          authorId: OWNER.discord,
          mention: true,
        });
        await until(() => discord.cards.length > 1, 60_000);
        const discordCard = discord.cards[1];
        if (!discordCard) throw new Error('no discord question card');
        await discord
          .tap({ card: discordCard, data: discordCard.buttons[1]?.data ?? '', user: { id: OWNER.discord } })
          .answered();
        await until(
          () =>
            discord.posted.some((p) => p.channelId === DC_CHANNEL && p.content.includes('"answer":"Coffee"')),
          60_000,
        );
      });

      it('ask_user_question: a numbered list on the local chat, the numbered reply is the answer; a timeout reaches the agent', async () => {
        const { client } = world;
        const replies: string[] = [];
        const stream = await client.openEvents('lq', (event) => {
          if (event.type === 'reply') replies.push(event.text);
        });
        try {
          await client.postMessage('lq', { text: askTool(['Tea', 'Coffee']) });
          await until(() => replies.some((r) => r.includes('1. Tea\n2. Coffee')), 60_000);
          const answer = await world.cli('send', '--group', 'lq', '2');
          expect(answer.stderr).toMatch(/taken as the answer/);
          await until(() => replies.some((r) => r.includes('"answer":"Coffee"')), 60_000);

          await client.postMessage('lq', { text: askTool(['Yes', 'No'], 10) });
          await until(() => replies.some((r) => r.includes('"reason":"timeout"')), 60_000);
        } finally {
          stream.close();
        }
      });
    },
  );
}

for (const target of targets) {
  describe.skipIf(!target.runtime)(
    `a fresh install with only the local chat (${target.name})`,
    { timeout: 180_000 },
    () => {
      let cli: PeopleWorld['cli'];
      let client: PeopleWorld['client'];

      useSuiteProject(
        `nanoclaw-people-local-${target.name}`,
        target.runtime,
        async (project, runtime) => {
          ({ client } = await project.startHost(runtime));
          cli = (...args) =>
            runCli(args, {
              loadConfig: () => configFor(project.root, { NANOCLAW_HTTP_PORT: new URL(client.baseUrl).port }),
            });
        },
        120_000,
      );

      it('a stranger’s message is held until `nanoclaw approvals approve <id>`, then answered', async () => {
        const refused = await cli('groups', 'set', 'main', '--access', 'request');
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain('nanoclaw users add <platform:id> --role owner');
        expect((await cli('users', 'add', 'local:user', '--role', 'owner')).code).toBe(0);
        expect((await cli('groups', 'set', 'main', '--access', 'request')).code).toBe(0);

        const replies: string[] = [];
        const stream = await client.openEvents('main', (event) => {
          if (event.type === 'reply') replies.push(event.text);
        });
        try {
          const held = await cli(
            'send',
            '--group',
            'main',
            '--sender',
            'stranger',
            '--wait',
            'hello, who are you?',
          );
          const id = /access request ([a-z0-9]+)/.exec(held.stderr)?.[1];
          expect(id, held.stderr).toBeDefined();
          expect((await cli('approvals', 'list')).stdout).toMatch(
            new RegExp(`${id} +access +main +local:stranger`),
          );
          expect(replies).toEqual([]);
          const approved = await cli('approvals', 'approve', id ?? '');
          expect(approved.stdout).toContain('local:stranger is now a member of main');
          await until(() => replies.includes('Mock reply to: hello, who are you?'), 60_000);
          const again = await cli('send', '--group', 'main', '--sender', 'stranger', '--wait', 'and now?');
          expect(again.stdout.trim()).toBe('Mock reply to: and now?');
        } finally {
          stream.close();
        }
        const audit = await cli('audit', '--group', 'main');
        expect(audit.stdout).toMatch(/approved.*cli/);
      });
    },
  );
}

/** What time does to a card: its expiry set in the past, in the host's own database. */
async function expireApproval(root: string, id: string): Promise<void> {
  const handle = await openDatabase({ path: path.join(root, 'data', 'nanoclaw.db') });
  try {
    await handle.db
      .updateTable('approvals')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', id)
      .execute();
  } finally {
    await handle.close();
  }
}
