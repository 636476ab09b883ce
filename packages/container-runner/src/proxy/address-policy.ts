import net from 'node:net';
import os from 'node:os';

/**
 * Ranges a sandbox may never reach through the host proxy, by name. Node's `net.BlockList` matches the
 * IPv4-mapped IPv6 form (`::ffff:127.0.0.1`) against the IPv4 ranges too. The documentation ranges
 * 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 are deliberately not here.
 */
const BLOCKED_RANGES: ReadonlyArray<{
  name: string;
  subnets: ReadonlyArray<[string, number, 'ipv4' | 'ipv6']>;
}> = [
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
];

const BLOCK_LISTS = BLOCKED_RANGES.map(({ name, subnets }) => {
  const list = new net.BlockList();
  for (const [address, prefix, family] of subnets) list.addSubnet(address, prefix, family);
  return { name, list };
});

/** The name of the blocked range `address` lies in, or undefined for an address the sandbox may reach. */
export function blockedRange(address: string): string | undefined {
  const family = familyOf(address);
  if (!family) return 'not an IP address';
  return BLOCK_LISTS.find(({ list }) => list.check(address, family))?.name;
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

/** IPv6 in canonical form with an IPv4-mapped address as plain IPv4 (`::ffff:a00:1` → `10.0.0.1`); IPv4 as it is. */
function unmapped(address: string): string {
  if (!net.isIPv6(address)) return address;
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase(); // e.g. a scope id (`fe80::1%eth0`): link-local, refused by range anyway
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped?.[1] || !mapped[2]) return canonical;
  const hi = Number.parseInt(mapped[1], 16);
  const lo = Number.parseInt(mapped[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
