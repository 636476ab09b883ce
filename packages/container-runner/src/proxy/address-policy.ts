import net from 'node:net';
import os from 'node:os';

type Subnet = [address: string, prefix: number, family: 'ipv4' | 'ipv6'];

/**
 * Ranges a sandbox may never reach through the host proxy, by name. Node's `net.BlockList` matches the
 * IPv4-mapped IPv6 form (`::ffff:127.0.0.1`) against the IPv4 ranges too; the other IPv6 forms that carry an
 * IPv4 address are decoded (`IPV4_CARRIERS`). The documentation ranges 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24 and 2001:db8::/32 are deliberately not here.
 */
const BLOCKED_RANGES: ReadonlyArray<{ name: string; subnets: readonly Subnet[] }> = [
  {
    name: 'loopback',
    subnets: [
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ],
  },
  {
    name: 'unspecified',
    subnets: [
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 128, 'ipv6'],
    ],
  },
  {
    name: 'private (RFC 1918)',
    subnets: [
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
    ],
  },
  { name: 'carrier-grade NAT', subnets: [['100.64.0.0', 10, 'ipv4']] },
  {
    name: 'link-local',
    subnets: [
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ],
  },
  { name: 'unique local', subnets: [['fc00::', 7, 'ipv6']] },
  {
    name: 'multicast',
    subnets: [
      ['224.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
    ],
  },
  { name: 'reserved (240/4)', subnets: [['240.0.0.0', 4, 'ipv4']] },
  { name: 'IETF protocol assignments', subnets: [['192.0.0.0', 24, 'ipv4']] },
  { name: 'benchmarking', subnets: [['198.18.0.0', 15, 'ipv4']] },
  { name: 'IPv4-compatible (deprecated)', subnets: [['::', 96, 'ipv6']] },
  // Its sub-prefixes may carry the IPv4 address at several bit positions (RFC 6052): not decodable here.
  { name: 'NAT64 local-use (RFC 8215)', subnets: [['64:ff9b:1::', 48, 'ipv6']] },
  { name: 'Teredo', subnets: [['2001::', 32, 'ipv6']] },
  { name: 'discard-only', subnets: [['100::', 64, 'ipv6']] },
];

/**
 * IPv6 forms that reach an IPv4 address: the IPv4 address they carry (at 16-bit group `at`) is checked as
 * itself. (IPv4-mapped `::ffff:0:0/96` is here for the host's own addresses; `BlockList` covers its ranges.)
 */
const IPV4_CARRIERS: ReadonlyArray<{ via: string; subnet: Subnet; at: number }> = [
  { via: 'IPv4-mapped ::ffff:0:0/96', subnet: ['::ffff:0:0', 96, 'ipv6'], at: 6 },
  { via: 'IPv4-translated ::ffff:0:0:0/96', subnet: ['::ffff:0:0:0', 96, 'ipv6'], at: 6 },
  { via: 'NAT64 64:ff9b::/96', subnet: ['64:ff9b::', 96, 'ipv6'], at: 6 },
  { via: '6to4 2002::/16', subnet: ['2002::', 16, 'ipv6'], at: 1 },
];

const blockList = (subnets: readonly Subnet[]): net.BlockList => {
  const list = new net.BlockList();
  for (const [address, prefix, family] of subnets) list.addSubnet(address, prefix, family);
  return list;
};
const BLOCK_LISTS = BLOCKED_RANGES.map(({ name, subnets }) => ({ name, list: blockList(subnets) }));
const CARRIER_LISTS = IPV4_CARRIERS.map((carrier) => ({ ...carrier, list: blockList([carrier.subnet]) }));

/**
 * The name of the blocked range `address` lies in, or undefined for an address the sandbox may reach. An IPv6
 * address that carries an IPv4 one (NAT64, 6to4, IPv4-translated) is refused for what it carries, e.g.
 * `loopback (in NAT64 64:ff9b::/96)`.
 */
export function blockedRange(address: string): string | undefined {
  const family = familyOf(address);
  if (!family) return 'not an IP address';
  const range = BLOCK_LISTS.find(({ list }) => list.check(address, family))?.name;
  if (range) return range;
  const carried = carriedIpv4(address);
  const inner = carried && blockedRange(carried.ipv4);
  return inner ? `${inner} (in ${carried.via})` : undefined;
}

/** Why a resolved address is refused, or undefined when it may be reached. */
export type AddressPolicy = (address: string) => string | undefined;

export interface AddressPolicyOptions {
  /** The host's own addresses (default: every address of every interface, read on each check). */
  hostAddresses?: () => readonly string[];
}

/** The blocked ranges plus every address of the host's own interfaces (so a public host IP is refused too). */
export function createAddressPolicy(options: AddressPolicyOptions = {}): AddressPolicy {
  const hostAddresses = options.hostAddresses ?? interfaceAddresses;
  return (address) => {
    const range = blockedRange(address);
    if (range) return range;
    const plain = unmapped(address);
    return hostAddresses().some((own) => unmapped(own) === plain) ? "the host's own address" : undefined;
  };
}

/** Every address of the host's network interfaces, as `os.networkInterfaces()` lists them now. */
export function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((entries) => (entries ?? []).map((e) => e.address));
}

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const version = net.isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

/** The IPv4 address an IPv6 one carries (`IPV4_CARRIERS`), or undefined. */
function carriedIpv4(address: string): { ipv4: string; via: string } | undefined {
  if (!net.isIPv6(address)) return undefined;
  const carrier = CARRIER_LISTS.find(({ list }) => list.check(address, 'ipv6'));
  const groups = carrier && ipv6Groups(address);
  const hi = groups?.[carrier?.at ?? 0];
  const lo = groups?.[(carrier?.at ?? 0) + 1];
  if (!carrier || hi === undefined || lo === undefined) return undefined;
  return { ipv4: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, via: carrier.via };
}

/** The IPv4 address an IPv6 one carries, else IPv6 in canonical form; IPv4 as it is. */
function unmapped(address: string): string {
  if (!net.isIPv6(address)) return address;
  return carriedIpv4(address)?.ipv4 ?? canonicalIpv6(address) ?? address.toLowerCase();
}

/** `::ffff:10.0.0.1` → `::ffff:a00:1`; undefined for what the URL parser refuses (e.g. a scope id). */
function canonicalIpv6(address: string): string | undefined {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined; // e.g. `fe80::1%eth0`: link-local, refused by range anyway
  }
}

/** The eight 16-bit groups of an IPv6 address, or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  const canonical = canonicalIpv6(address);
  if (canonical === undefined) return undefined;
  const [head = '', tail] = canonical.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16));
}
