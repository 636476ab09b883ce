import { describe, expect, it } from 'vitest';
import { asUser, freeSubordinateRange, parseSubordinateIds } from './build-account.js';

describe('subordinate ids', () => {
  it('reads /etc/subuid entries, skipping comments and malformed lines', () => {
    expect(parseSubordinateIds('ncdev:100000:65536\n# note\nbad line\n1001:300000:65536\n')).toEqual([
      { owner: 'ncdev', start: 100000, count: 65536 },
      { owner: '1001', start: 300000, count: 65536 },
    ]);
  });

  it('picks a range of 65536 ids above every range of both files', () => {
    expect(freeSubordinateRange(['ncdev:100000:65536\n', 'ncdev:100000:65536\nother:200000:1000\n'])).toEqual(
      {
        start: 201000,
        count: 65536,
      },
    );
    expect(freeSubordinateRange(['', ''])).toEqual({ start: 100000, count: 65536 });
  });
});

describe('asUser', () => {
  it('drops to the uid and gid with no supplementary groups through setpriv', () => {
    expect(asUser({ uid: 999, gid: 998 }, '/usr/bin/mmdebstrap', ['--mode=unshare'])).toEqual([
      'setpriv',
      ['--reuid=999', '--regid=998', '--clear-groups', '--', '/usr/bin/mmdebstrap', '--mode=unshare'],
    ]);
  });
});
