import { describe, expect, it } from 'vitest';
import { blockedRange, createAddressPolicy, interfaceAddresses } from './address-policy.js';

describe('blockedRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private (RFC 1918)'],
    ['172.16.0.1', 'private (RFC 1918)'],
    ['172.31.255.254', 'private (RFC 1918)'],
    ['192.168.1.1', 'private (RFC 1918)'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved (240/4)'],
    ['255.255.255.255', 'reserved (240/4)'],
  ])('refuses %s (%s)', (address, range) => {
    expect(blockedRange(address)).toBe(range);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private (RFC 1918)'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:100.64.0.1', 'carrier-grade NAT'],
    ['::ffff:0.0.0.0', 'unspecified'],
  ])('refuses the IPv4-mapped IPv6 form %s (%s)', (address, range) => {
    expect(blockedRange(address)).toBe(range);
  });

  it.each([
    ['192.0.0.8', 'IETF protocol assignments'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.254', 'benchmarking'],
    ['::a00:1', 'IPv4-compatible (deprecated)'],
    ['::8.8.8.8', 'IPv4-compatible (deprecated)'],
    ['64:ff9b:1::a00:1', 'NAT64 local-use (RFC 8215)'],
    ['64:ff9b:1:abcd::8.8.8.8', 'NAT64 local-use (RFC 8215)'],
    ['2001::1', 'Teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['100::1', 'discard-only'],
  ])('refuses %s (%s)', (address, range) => {
    expect(blockedRange(address)).toBe(range);
  });

  it.each([
    ['64:ff9b::127.0.0.1', 'loopback (in NAT64 64:ff9b::/96)'],
    ['64:ff9b::a00:1', 'private (RFC 1918) (in NAT64 64:ff9b::/96)'],
    ['64:ff9b::169.254.169.254', 'link-local (in NAT64 64:ff9b::/96)'],
    ['2002:7f00:1::', 'loopback (in 6to4 2002::/16)'],
    ['2002:a9fe:a9fe:1::5', 'link-local (in 6to4 2002::/16)'],
    ['2002:c0a8:101::1', 'private (RFC 1918) (in 6to4 2002::/16)'],
    ['::ffff:0:127.0.0.1', 'loopback (in IPv4-translated ::ffff:0:0:0/96)'],
    ['::ffff:0:a00:1', 'private (RFC 1918) (in IPv4-translated ::ffff:0:0:0/96)'],
    ['::ffff:240.0.0.1', 'reserved (240/4)'],
    ['::ffff:198.18.0.1', 'benchmarking'],
  ])('refuses the IPv4 address carried in %s (%s)', (address, range) => {
    expect(blockedRange(address)).toBe(range);
  });

  it.each([
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '::ffff:0:8.8.8.8',
    '198.17.255.255',
    '198.20.0.1',
    '192.0.1.1',
    '2001:db8::1',
    '2001:4860:4860::8888',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '198.51.100.2',
    '203.0.113.80',
    '192.0.2.10',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
  ])('lets %s through (public, or a documentation range)', (address) => {
    expect(blockedRange(address)).toBeUndefined();
  });

  it('refuses what is not an IP address', () => {
    expect(blockedRange('example.com')).toBe('not an IP address');
  });
});

describe('createAddressPolicy', () => {
  it("refuses the host's own addresses, also in their mapped and long IPv6 forms", () => {
    const policy = createAddressPolicy({ hostAddresses: () => ['198.51.100.1', '2001:db8::5'] });
    expect(policy('198.51.100.1')).toBe("the host's own address");
    expect(policy('::ffff:198.51.100.1')).toBe("the host's own address");
    expect(policy('::ffff:c633:6401')).toBe("the host's own address");
    expect(policy('2001:db8:0:0::5')).toBe("the host's own address");
    expect(policy('198.51.100.2')).toBeUndefined();
    expect(policy('10.0.0.1')).toBe('private (RFC 1918)');
    // The host's public IPv4 carried in NAT64 or 6to4 is still the host.
    expect(policy('64:ff9b::198.51.100.1')).toBe("the host's own address");
    expect(policy('2002:c633:6401::1')).toBe("the host's own address");
  });

  it("reads the host's interfaces by default: every one of their addresses is refused", () => {
    const own = interfaceAddresses();
    expect(own).toContain('127.0.0.1');
    const policy = createAddressPolicy();
    for (const address of own) {
      expect(policy(address), address).toBe(blockedRange(address) ?? "the host's own address");
    }
  });
});
