import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import type { ApprovalView, AuditView } from '../../host-api.js';
import { startHostHarness } from '../host-harness.js';
import { failure } from '../test-utils.js';

const harness = perTest(startHostHarness);

const NO_OWNER =
  'nanoclaw: no owner is set: an access request needs someone to approve it. Add one first: nanoclaw users add <platform:id> --role owner (HTTP 409)\n';

describe('nanoclaw users, groups set --access, approvals and audit, against the real host', () => {
  it('refuses `request` until an owner is set, then holds a stranger for `nanoclaw approvals`', async () => {
    expect((await harness.run(['groups', 'add', 'family'])).code).toBe(0);
    expect(await harness.run(['groups', 'set', 'family', '--access', 'request'])).toEqual(failure(NO_OWNER));

    expect(await harness.run(['users', 'add', 'telegram:1', '--role', 'owner', '--name', 'Ann'])).toEqual({
      code: 0,
      stdout: 'granted owner to telegram:1 (Ann); their roles: owner\n',
      stderr: '',
    });
    await harness.run(['users', 'add', 'slack:U1', '--role', 'admin', '--group', 'family']);
    expect((await harness.run(['users', 'link', 'telegram:1', 'slack:U1'])).stdout).toBe(
      'linked telegram:1 and slack:U1: one person (slack:U1, telegram:1)\n',
    );
    const set = await harness.run(['groups', 'set', 'family', '--access', 'request']);
    expect(set.stdout).toMatch(/^family: access request: a stranger’s messages are held/);
    expect((await harness.run(['groups', 'list'])).stdout).toMatch(
      /family +family +mock \(\S+\) +@\S+ +request/,
    );

    const users = (await harness.run(['users', 'list'])).stdout.split('\n');
    expect(users[0]).toMatch(/^USER +NAME +ROLES +LINKED$/);
    expect(users[1]).toMatch(/^telegram:1 +Ann +owner +slack:U1$/);
    expect(users[2]).toMatch(/^slack:U1 +- +admin of family +telegram:1$/);

    // The local chat has no buttons and no approver's direct chat here: the request waits for the CLI.
    expect((await harness.run(['send', '--group', 'family', 'hello'])).code).toBe(0);
    const pending = JSON.parse((await harness.run(['approvals', 'list', '--json'])).stdout) as ApprovalView[];
    expect(pending).toMatchObject([
      { kind: 'access-request', group: 'family', subject: 'local:user', status: 'pending' },
    ]);
    const id = pending[0]?.id ?? '';
    expect((await harness.run(['approvals', 'list'])).stdout).toMatch(
      new RegExp(`^${id} +access +family +local:user +🔐 .* +pending +expires `, 'm'),
    );
    expect((await harness.run(['approvals', 'approve', id])).stdout).toBe(
      `approved ${id}: local:user is now a member of family\n`,
    );
    const again = await harness.run(['approvals', 'reject', id]);
    expect(again.stderr).toMatch(
      new RegExp(
        `^nanoclaw: Request ${id} was already approved by cli at \\d{4}-.*; nothing changed\\. \\(HTTP 409\\)\n$`,
      ),
    );
    expect((await harness.run(['approvals', 'list'])).stdout).toBe('no pending approvals\n');
    expect((await harness.run(['approvals', 'approve', 'nosuchid'])).stderr).toBe(
      'nanoclaw: no approval nosuchid (see nanoclaw approvals list) (HTTP 404)\n',
    );
    expect((await harness.run(['users', 'list'])).stdout).toMatch(/local:user +- +member of family/);

    const audit = JSON.parse(
      (await harness.run(['audit', '--group', 'family', '--since', '1h', '--json'])).stdout,
    ) as AuditView[];
    const seen = audit.map((entry) => `${entry.kind} ${entry.action} ${entry.actor}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'role granted cli',
        'access set cli',
        'gate held local:user',
        'approval approved cli',
      ]),
    );
    expect(audit.map((entry) => entry.at)).toEqual([...audit.map((entry) => entry.at)].sort((a, b) => b - a));
    const table = (await harness.run(['audit', '--limit', '50'])).stdout;
    expect(table.split('\n')[0]).toMatch(/^TIME +KIND +ACTION +GROUP +ACTOR +SUBJECT +DETAIL$/);
    expect(table).toMatch(/access +set +family +cli +family +from=public to=request/);
    expect(table).toMatch(/role +linked +- +cli +telegram:1 +with=slack:U1/);
  });
});
