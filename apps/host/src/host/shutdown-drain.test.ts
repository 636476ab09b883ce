import { describe, expect, it } from 'vitest';
import { useCleanups } from './test-utils/cleanups.js';
import { runnerPids, until, type WatchedHost, watchHost } from './test-utils/e2e-host.js';
import {
  createMemoryChannel,
  type MemoryChannel,
  startHostWithChannel,
} from './test-utils/memory-channel.js';

/**
 * Messages that arrive while the host drains its running turns for a shutdown (a chat platform keeps delivering
 * until the very end): the host neither crashes nor loses them. The running turn is answered before the exit;
 * what arrives meanwhile, or what the turn took but could not answer, is stored and answered after the restart;
 * every message exactly once.
 * The mock agent runs in the process runtime, so a test can kill its runner mid-drain.
 */

const cleanups = useCleanups();

const scratch = () => cleanups.scratch('nanoclaw-drain');

/** A host with the memory chat platform; groups `family` (chat-1) and `friends` (chat-2) on it. */
async function start(root: string, chat: MemoryChannel, firstStart: boolean): Promise<WatchedHost> {
  const started = await startHostWithChannel(root, chat);
  const { client } = started;
  if (firstStart) {
    await client.addGroup({
      folder: 'family',
      name: 'Family',
      chat: { channel: 'memchat', chatId: 'chat-1' },
    });
    await client.addGroup({
      folder: 'friends',
      name: 'Friends',
      chat: { channel: 'memchat', chatId: 'chat-2' },
    });
  }
  return watchHost(started, 'family', cleanups);
}

/** A first start in a new project, with `text` (message `id` in chat-1) running in the one runner. */
async function startRunning(id: string, text: string) {
  const root = scratch();
  const chat = createMemoryChannel();
  const first = await start(root, chat, true);
  await chat.say(id, text);
  await until(() => first.events.some((e) => e.type === 'run-start'), 30_000);
  await until(() => runnerPids().length === 1, 30_000);
  return { root, chat, first };
}

/** How often each token was answered (in the replies the chat platform received). */
function answers(chat: MemoryChannel, tokens: readonly string[]): Record<string, number> {
  return Object.fromEntries(tokens.map((token) => [token, chat.repliesWith(token).length]));
}

const once = (tokens: readonly string[]) => Object.fromEntries(tokens.map((token) => [token, 1]));

describe('a message arriving during the shutdown drain', () => {
  it('the running turn is answered before the exit; messages that arrive meanwhile are stored and answered after the restart; each once', async () => {
    const { root, chat, first } = await startRunning('m1', '/sleep 2500\n@Andy first [d-1]');

    const stopped = first.host.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The same chat as the running turn, and another group's chat: both stored, neither refused.
    expect(await chat.say('m2', '@Andy second [d-2]')).toEqual({ duplicate: false });
    expect(await chat.say('m3', '@Andy other chat [d-3]', 'chat-2')).toEqual({ duplicate: false });
    await stopped;
    expect(answers(chat, ['[d-1]', '[d-2]', '[d-3]'])).toEqual({ '[d-1]': 1, '[d-2]': 0, '[d-3]': 0 });

    await start(root, chat, false);
    const tokens = ['[d-1]', '[d-2]', '[d-3]'];
    await until(() => tokens.every((token) => chat.repliesWith(token).length > 0), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // nothing else comes
    expect(answers(chat, tokens)).toEqual(once(tokens));
  }, 90_000);

  it('the runner dies mid-drain with follow-ups it took: no crash (their requeue meets a closed queue); each answered once after the restart', async () => {
    const { root, chat, first } = await startRunning('k1', '/sleep 4000\n@Andy first [k-1]');
    await new Promise((resolve) => setTimeout(resolve, 300)); // run/start reached the runner
    // Follow-ups in the running turn's chat: pushed into it, waiting behind the first message.
    await chat.say('k2', '@Andy second [k-2]');
    await chat.say('k3', '@Andy third [k-3]');
    await new Promise((resolve) => setTimeout(resolve, 500));

    const stopped = first.host.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [runner] = runnerPids();
    process.kill(runner ?? 0, 'SIGKILL');
    await stopped;
    expect(answers(chat, ['[k-1]', '[k-2]', '[k-3]'])).toEqual({ '[k-1]': 0, '[k-2]': 0, '[k-3]': 0 });

    await start(root, chat, false);
    const tokens = ['[k-1]', '[k-2]', '[k-3]'];
    await until(() => tokens.every((token) => chat.repliesWith(token).length > 0), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(answers(chat, tokens)).toEqual(once(tokens));
  }, 120_000);
});
