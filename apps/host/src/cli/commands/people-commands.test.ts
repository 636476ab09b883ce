import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import { fakeApproval } from '../../http/test-utils.js';
import { createCliHarness, failure } from '../test-utils.js';
import { auditQuery } from './audit.js';

const harness = perTest(createCliHarness);

/** A usage mistake: exit 2, the message on stderr, nothing sent to the host. */
const usage = (stderr: string) => ({ code: 2, stdout: '', stderr });

describe('nanoclaw users', () => {
  it('adds, lists, links and removes, as the actor `cli`', async () => {
    expect((await harness.run(['users', 'list'])).stdout).toBe(
      'no users (add the owner first: nanoclaw users add <platform:id> --role owner)\n',
    );
    expect(await harness.run(['users', 'add', 'telegram:1', '--role', 'owner', '--name', 'Ann'])).toEqual({
      code: 0,
      stdout: 'granted owner to telegram:1 (Ann); their roles: owner\n',
      stderr: '',
    });
    const admin = await harness.run(['users', 'add', 'slack:U1', '--role', 'admin', '--group', 'family']);
    expect(admin.stdout).toBe('granted admin of family to slack:U1; their roles: admin of family\n');
    expect((await harness.run(['users', 'link', 'telegram:1', 'slack:U1'])).stdout).toBe(
      'linked telegram:1 and slack:U1: one person (slack:U1, telegram:1)\n',
    );
    const list = (await harness.run(['users', 'list'])).stdout.split('\n');
    expect(list[0]).toMatch(/^USER +NAME +ROLES +LINKED$/);
    expect(list[1]).toMatch(/^telegram:1 +Ann +owner +slack:U1$/);
    expect(list[2]).toMatch(/^slack:U1 +- +admin of family +telegram:1$/);
    expect(
      (await harness.run(['users', 'remove', 'slack:U1', '--role', 'admin', '--group', 'family'])).stdout,
    ).toBe('took admin of family from slack:U1\n');
    expect((await harness.run(['users', 'remove', 'telegram:1'])).stdout).toBe(
      'removed telegram:1 and all their roles\n',
    );
    expect(harness.api.actors).toEqual(['cli', 'cli', 'cli', 'cli', 'cli']);
    const json = JSON.parse((await harness.run(['users', 'list', '--json'])).stdout) as Array<{ id: string }>;
    expect(json.map((user) => user.id)).toEqual(['slack:U1']);
  });

  it('refuses a bad role or a lone --group before calling the host, and reports the host’s refusal', async () => {
    expect(await harness.run(['users', 'add', 'telegram:1', '--role', 'king'])).toEqual(
      usage('nanoclaw: --role must be one of owner, admin, member (got "king")\n'),
    );
    expect(await harness.run(['users', 'remove', 'telegram:1', '--group', 'family'])).toEqual(
      usage('nanoclaw: --group goes with --role: the role to take is <role> of <group>\n'),
    );
    expect(await harness.run(['users', 'remove', 'telegram:9'])).toEqual(
      failure('nanoclaw: no user telegram:9 (see nanoclaw users list) (HTTP 404)\n'),
    );
    expect((await harness.run(['users', 'add', 'telegram', '--role', 'owner'])).stderr).toContain(
      'userId: "telegram" is not a user id: use <platform>:<id>',
    );
    expect(harness.api.actors).toEqual([]);
  });
});

describe('nanoclaw groups set --access', () => {
  it('refuses `request` without an owner, naming the command that fixes it; shows access in lists', async () => {
    expect(await harness.run(['groups', 'set', 'family', '--access', 'request'])).toEqual(
      failure(
        'nanoclaw: no owner is set: an access request needs someone to approve it. Add one first: nanoclaw users add <platform:id> --role owner (HTTP 409)\n',
      ),
    );
    expect((await harness.run(['groups', 'set', 'family', '--access', 'members'])).stdout).toBe(
      'family: access members: only its members, its admins and the owner may talk to its agent; other messages are dropped\n',
    );
    await harness.run(['users', 'add', 'telegram:1', '--role', 'owner']);
    expect((await harness.run(['groups', 'set', 'family', '--access', 'request'])).code).toBe(0);
    expect((await harness.run(['groups', 'list'])).stdout).toMatch(
      /^family +family +claude \(credentials\) +@Andy +request +-$/m,
    );
    expect((await harness.run(['status'])).stdout).toMatch(
      /family +family +claude \(credentials\) +0 running, 0 queued +none +request/,
    );
    expect(await harness.run(['groups', 'set', 'family', '--access', 'open'])).toEqual(
      usage('nanoclaw: --access must be one of public, members, request (got "open")\n'),
    );
  });
});

describe('nanoclaw approvals', () => {
  const seed = () =>
    harness.api.approvals.push(
      fakeApproval('req1'),
      fakeApproval('ask1', {
        kind: 'question',
        group: 'main',
        question: '❓ Deploy the new version now?\n(it takes a minute)',
        options: ['Yes', 'No'],
        subject: null,
        requestedBy: 'agent:main',
      }),
      fakeApproval('old1', {
        status: 'rejected',
        decidedBy: 'telegram:1',
        decidedAt: Date.UTC(2030, 0, 1, 9, 30),
        decision: 'Reject',
      }),
    );

  it('lists pending ones (--all: every one; --group: one group’s)', async () => {
    seed();
    const list = (await harness.run(['approvals', 'list'])).stdout.split('\n');
    expect(list[0]).toMatch(/^ID +KIND +GROUP +ABOUT\/ASKED +QUESTION +STATUS +EXPIRES\/DECIDED BY$/);
    expect(list[1]).toMatch(
      /^req1 +access +family +telegram:42 +🔐 telegram:42 wants to talk to the agent of "f… +pending +expires 2030-01-02 09:00$/,
    );
    expect(list[2]).toMatch(
      /^ask1 +question +main +anyone +❓ Deploy the new version now\? \(1 Yes, 2 No\) +pending +expires/,
    );
    expect(list).toHaveLength(4);
    const all = (await harness.run(['approvals', 'list', '--all'])).stdout;
    expect(all).toMatch(/^old1 +access +family +telegram:42 +.* +rejected +telegram:1 at 2030-01-01 09:30$/m);
    const family = JSON.parse((await harness.run(['approvals', 'list', '--group', 'main', '--json'])).stdout);
    expect(family).toMatchObject([{ id: 'ask1' }]);
    expect((await harness.run(['approvals', 'list', '--group', 'nobody'])).stderr).toBe(
      'nanoclaw: no group "nobody" (HTTP 404)\n',
    );
    harness.api.approvals.splice(0);
    expect((await harness.run(['approvals', 'list'])).stdout).toBe('no pending approvals\n');
  });

  it('approves, rejects and answers as `cli`; says who decided first; refuses a bad option', async () => {
    seed();
    expect((await harness.run(['approvals', 'approve', 'req1'])).stdout).toBe(
      'approved req1: telegram:42 is now a member of family\n',
    );
    expect(await harness.run(['approvals', 'reject', 'req1'])).toEqual(
      failure(
        'nanoclaw: Request req1 was already approved by cli at 2030-01-01T10:00:00.000Z; nothing changed. (HTTP 409)\n',
      ),
    );
    expect((await harness.run(['approvals', 'approve', 'ask1'])).stderr).toBe(
      'nanoclaw: ask1 is a question: answer it with --option <n> (HTTP 400)\n',
    );
    expect(await harness.run(['approvals', 'answer', 'ask1', '--option', 'yes'])).toEqual(
      usage('nanoclaw: --option must be a number from 1 (got "yes")\n'),
    );
    expect((await harness.run(['approvals', 'answer', 'ask1', '--option', '2'])).stdout).toBe(
      'answered ask1: No\n',
    );
    expect(await harness.run(['approvals', 'approve', 'nope'])).toEqual(
      failure('nanoclaw: no approval nope (see nanoclaw approvals list) (HTTP 404)\n'),
    );
    expect(harness.api.actors).toEqual(['cli', 'cli']);
  });
});

describe('nanoclaw audit', () => {
  it('prints entries newest first, with a short detail', async () => {
    harness.api.audit.push(
      {
        id: 2,
        at: Date.UTC(2030, 0, 1, 9, 5),
        kind: 'access',
        action: 'set',
        group: 'family',
        actor: 'cli',
        subject: 'family',
        detail: { from: 'public', to: 'request' },
      },
      {
        id: 1,
        at: Date.UTC(2030, 0, 1, 9),
        kind: 'gate',
        action: 'dropped',
        group: 'family',
        actor: 'telegram:42',
        subject: null,
        detail: { messageId: 7, access: 'members', bot: false, chat: 'telegram:default:-100123456789' },
      },
    );
    const lines = (await harness.run(['audit', '--group', 'family'])).stdout.split('\n');
    expect(lines[0]).toMatch(/^TIME +KIND +ACTION +GROUP +ACTOR +SUBJECT +DETAIL$/);
    expect(lines[1]).toMatch(/^2030-01-01 09:05 +access +set +family +cli +family +from=public to=request$/);
    expect(lines[2]).toMatch(
      /^2030-01-01 09:00 +gate +dropped +family +telegram:42 +- +messageId=7 access=members bot=false chat=telegram:default:…$/,
    );
    expect((await harness.run(['audit', '--since', '2030-01-01T09:01Z', '--json'])).stdout).toContain(
      '"id": 2',
    );
    expect((await harness.run(['audit', '--since', '2030-01-02T00:00Z'])).stdout).toBe('no audit entries\n');
    expect((await harness.run(['audit', '--limit', 'lots'])).code).toBe(2);
  });

  it('reads --since as a duration ago or an ISO time, and refuses anything else', () => {
    const now = Date.UTC(2030, 0, 1, 12);
    expect(auditQuery({ since: '2h', limit: '10', group: 'main' }, now)).toEqual({
      folder: 'main',
      since: Date.UTC(2030, 0, 1, 10),
      limit: 10,
    });
    expect(auditQuery({ since: '2030-01-01T09:00Z' }, now)).toEqual({ since: Date.UTC(2030, 0, 1, 9) });
    expect(() => auditQuery({ since: 'yesterday' }, now)).toThrow(
      '--since must be a duration such as 30m, 2h or 1d, or an ISO time such as 2030-01-01T09:00Z (got "yesterday")',
    );
    expect(() => auditQuery({ limit: '0' }, now)).toThrow(
      '--limit must be a whole number from 1 to 5000 (got "0")',
    );
  });
});
