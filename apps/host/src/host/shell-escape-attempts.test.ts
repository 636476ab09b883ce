import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { attemptCommand, ESCAPE_ATTEMPTS, type EscapeWorld, judgeAttempt } from './shell-escape-attempts.js';

const world = (): EscapeWorld => ({
  secret: 'sk-escape-0123456789abcdef',
  runId: '42-abc',
  projectRoot: '/srv/project',
  dataDir: '/srv/project/data',
  otherGroupDir: '/srv/project/groups/victim',
  ownGroupDir: '/srv/project/groups/attacker',
  globalDir: '/srv/project/groups/global',
  secretFile: '/srv/outside/secret.txt',
  hostHome: '/root',
  otherHome: '/home/someone',
  usrLocalEtcHashes: [`${'a'.repeat(64)}  /usr/local/etc/npmrc`],
  apiPort: 3000,
  servicePort: 4000,
  hostAddresses: ['127.0.0.1', '::1', '10.1.2.3'],
  hostProcesses: [{ pid: 777, cmdline: 'vitest' }],
  serviceHits: new Set(),
});
const RAN = 'ESCAPE-ATTEMPT-RAN\n';
const byId = (id: string) => ESCAPE_ATTEMPTS.find((attempt) => attempt.id === id)!;

describe('ESCAPE_ATTEMPTS', () => {
  it('are valid bash, with unique ids, and never spell a marker or the secret themselves', () => {
    const w = world();
    expect(new Set(ESCAPE_ATTEMPTS.map((a) => a.id)).size).toBe(ESCAPE_ATTEMPTS.length);
    for (const attempt of ESCAPE_ATTEMPTS) {
      const command = attemptCommand(attempt, w);
      const syntax = spawnSync('bash', ['-n', '-c', command], { encoding: 'utf8' });
      expect(syntax.status, `${attempt.id}: ${syntax.stderr}`).toBe(0);
      // A runtime may echo the command back in an error: that must not read as "ran" or "escaped".
      for (const text of ['ESCAPE-ATTEMPT-RAN', 'ESCAPED:', w.secret, 'realm="nanoclaw"'])
        expect(command, attempt.id).not.toContain(text);
    }
  });

  it('print the ran marker and a hit only through the shell', () => {
    const attempt = { id: 'demo', name: 'demo', command: () => 'hit "wrote /usr"' };
    const run = spawnSync('bash', ['-c', attemptCommand(attempt, world())], { encoding: 'utf8' });
    expect(run.stdout).toBe(`${RAN}ESCAPED: wrote /usr\n`);
  });
});

describe('judgeAttempt', () => {
  it('blocks only an attempt that ran and left no evidence', () => {
    const attempt = byId('root-home');
    expect(
      judgeAttempt(attempt, `${RAN}ls: cannot access '/root': No such file or directory\n`, world(), true),
    ).toEqual({
      id: 'root-home',
      name: attempt.name,
      blocked: true,
      detail: "ls: cannot access '/root': No such file or directory",
    });
    expect(judgeAttempt(attempt, undefined, world(), true).detail).toBe('no tool result came back');
    const notRun = judgeAttempt(attempt, 'exec_command failed: No such file or directory', world(), true);
    expect(notRun).toMatchObject({
      blocked: false,
      detail: expect.stringMatching(/^the shell did not run it/),
    });
  });

  it('counts the secret, a host API answer, a hit line and a service connection as escapes', () => {
    const w = world();
    const attempt = byId('host-api');
    expect(judgeAttempt(attempt, `${RAN}${w.secret}\n`, w, true).detail).toBe('the secret is in its output');
    expect(judgeAttempt(attempt, `${RAN}www-authenticate: Bearer realm="nanoclaw"\n`, w, true).blocked).toBe(
      false,
    );
    expect(judgeAttempt(attempt, `${RAN}ESCAPED: mount tmpfs\n`, w, true).detail).toBe(
      'ESCAPED: mount tmpfs',
    );
    w.serviceHits.add('host-api');
    expect(judgeAttempt(attempt, RAN, w, true).detail).toBe('the host service saw its connection');
  });

  it('in a sandbox, counts an attempt only when it reached the defence it tests', () => {
    const attempt = byId('loopback-via-proxy');
    const direct = `${RAN}curl: (7) Failed to connect to 127.0.0.1 port 4000\n`;
    expect(judgeAttempt(attempt, direct, world(), true).detail).toMatch(/never reached the defence/);
    expect(judgeAttempt(attempt, direct, world(), false).blocked).toBe(true);
    const refused = `${RAN}{"error":{"type":"egress_denied","message":"127.0.0.1 is loopback"}}\n`;
    expect(judgeAttempt(attempt, refused, world(), true).blocked).toBe(true);
  });

  it("applies an attempt's own output and host checks", () => {
    const w = world();
    const etc = byId('usr-local-etc');
    expect(judgeAttempt(etc, `${RAN}${'b'.repeat(64)}  /usr/local/etc/npmrc\n`, w, true).blocked).toBe(true);
    expect(judgeAttempt(etc, `${RAN}${w.usrLocalEtcHashes[0]}\n`, w, true).blocked).toBe(false);
    const global = byId('write-global');
    expect(judgeAttempt(global, `${RAN}touch: Read-only file system\n`, w, true).blocked).toBe(true);
  });
});
