import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import type { MessageView } from '../../host-api.js';
import { startHostHarness } from '../host-harness.js';

const harness = perTest(startHostHarness);

describe('nanoclaw messages, against the real host', () => {
  it('prints what the host stored of a group’s conversation, oldest first', async () => {
    // Not addressed to the agent (no trigger): stored as context, no run starts.
    await harness.run(['groups', 'add', 'family']);
    for (const text of ['first', 'second\nwith a second line', 'third']) {
      expect((await harness.run(['send', '--group', 'family', text])).code).toBe(0);
    }
    const run = await harness.run(['messages', 'family']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d {2}local:default:family {2}local user: first$/);
    expect(lines[1]).toMatch(/ {2}local user: second$/);
    expect(lines[2]).toBe('    with a second line');
    expect(lines[3]).toMatch(/ {2}local user: third$/);
    const last = JSON.parse(
      (await harness.run(['messages', 'family', '--limit', '1', '--json'])).stdout,
    ) as MessageView[];
    expect(last).toEqual([
      {
        id: expect.stringMatching(/^in-\d+$/),
        chat: 'local:default:family',
        sender: 'user',
        senderName: 'local user',
        text: 'third',
        at: expect.any(Number),
        fromAgent: false,
      },
    ]);
  });

  it('says when there are none, and refuses a bad --limit', async () => {
    expect((await harness.run(['messages', 'main'])).stdout).toBe('no messages\n');
    expect((await harness.run(['messages', 'main', '--limit', '501'])).code).toBe(2);
  });
});
