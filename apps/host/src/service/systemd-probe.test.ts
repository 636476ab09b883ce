import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeSystemd } from './systemd-probe.js';

const booted = (path: string) => path === '/run/systemd/system';

describe('probeSystemd', () => {
  it('says when the machine was not booted with systemd, naming PID 1', () => {
    expect(probeSystemd({ exists: () => false, pid1Name: () => 'tini' })).toEqual({
      ok: false,
      reason: 'not-booted',
      detail: 'PID 1 is tini',
    });
  });

  it('says when systemctl --user cannot reach the user bus', () => {
    const status = probeSystemd({
      exists: booted,
      systemctlUser: () => ({ status: 1, stderr: 'Failed to connect to bus: No medium found\n' }),
    });
    expect(status).toEqual({
      ok: false,
      reason: 'no-user-bus',
      detail: 'Failed to connect to bus: No medium found',
    });
  });

  it('treats a missing systemctl as no systemd, and a working user manager as ok', () => {
    const enoent = Object.assign(new Error('spawnSync systemctl ENOENT'), { code: 'ENOENT' });
    expect(
      probeSystemd({ exists: booted, systemctlUser: () => ({ status: null, stderr: '', error: enoent }) }),
    ).toEqual({ ok: false, reason: 'not-booted', detail: 'systemctl is not installed' });
    expect(probeSystemd({ exists: booted, systemctlUser: () => ({ status: 0, stderr: '' }) })).toEqual({
      ok: true,
    });
  });

  it('on this machine, agrees with /run/systemd/system', () => {
    const status = probeSystemd();
    if (!fs.existsSync('/run/systemd/system'))
      expect(status).toMatchObject({ ok: false, reason: 'not-booted' });
    else expect(['ok', 'no-user-bus']).toContain(status.ok ? 'ok' : status.reason);
  });
});
