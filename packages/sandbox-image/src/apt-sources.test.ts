import { describe, expect, it } from 'vitest';
import { DEFAULT_APT_SOURCE, findAptSource } from './apt-sources.js';

describe('findAptSource', () => {
  it('reads deb822 .sources files (this machine has them)', () => {
    const content = [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://mirror.example/debian/',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      '',
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      'Components: main',
    ].join('\n');
    expect(findAptSource([{ name: '/etc/apt/sources.list.d/debian.sources', content }], 'bookworm')).toEqual({
      mirror: 'http://mirror.example/debian',
      securityMirror: 'http://mirror.example/debian-security',
    });
  });

  it('reads one-line sources.list entries, options and comments included, and skips other suites', () => {
    const content = [
      'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main',
      '# deb http://old.example/debian bookworm main',
      'deb [arch=amd64 signed-by=/k.gpg] http://lan.example/debian bookworm main contrib',
      'deb http://lan.example/security bookworm-security main',
    ].join('\n');
    expect(findAptSource([{ name: '/etc/apt/sources.list', content }], 'bookworm')).toEqual({
      mirror: 'http://lan.example/debian',
      securityMirror: 'http://lan.example/security',
    });
  });

  it("falls back to deb.debian.org on a machine without a Debian mirror (e.g. Ubuntu's archive)", () => {
    const content = 'deb http://archive.ubuntu.com/ubuntu noble main\n';
    expect(findAptSource([{ name: '/etc/apt/sources.list', content }], 'bookworm')).toEqual(
      DEFAULT_APT_SOURCE,
    );
    expect(findAptSource([], 'bookworm')).toEqual(DEFAULT_APT_SOURCE);
  });

  it('ignores disabled deb822 stanzas and deb-src entries', () => {
    const content = [
      'Types: deb-src',
      'URIs: http://src.example/debian',
      'Suites: bookworm',
      '',
      'Types: deb',
      'Enabled: no',
      'URIs: http://off.example/debian',
      'Suites: bookworm',
    ].join('\n');
    expect(findAptSource([{ name: 'x.sources', content }], 'bookworm').mirror).toBe(
      DEFAULT_APT_SOURCE.mirror,
    );
  });
});
