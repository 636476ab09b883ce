import fs from 'node:fs/promises';
import { findHostBinary, runCommand } from '@nanoclaw/container-runner';
import type { Logger } from '@nanoclaw/core';
import { SandboxImageError } from './errors.js';

/** The unprivileged system account a root host builds userlands as (like dockerd's `dockremap`). */
export const BUILD_ACCOUNT_NAME = 'nanoclaw-build';

/** How many subordinate ids the account gets (a Debian userland uses ids up to 65534). */
const SUBID_COUNT = 65_536;
/** Where subordinate ranges start on Debian (`SUB_UID_MIN` in /etc/login.defs). */
const SUBID_MIN = 100_000;

/** Where the account tools live: root's PATH is not always a login PATH. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BuildAccount {
  name: string;
  uid: number;
  gid: number;
  /** Its subordinate uid and gid range (the same numbers in /etc/subuid and /etc/subgid). */
  subids: { start: number; count: number };
}

export interface SubordinateRange {
  /** A user name or a numeric uid, as the files allow. */
  owner: string;
  start: number;
  count: number;
}

/** The entries of an /etc/subuid or /etc/subgid file (pure); malformed lines are skipped. */
export function parseSubordinateIds(content: string): SubordinateRange[] {
  const ranges: SubordinateRange[] = [];
  for (const line of content.split('\n')) {
    const match = line.trim().match(/^([^:#\s]+):(\d+):(\d+)$/);
    if (match?.[1] && match[2] && match[3])
      ranges.push({ owner: match[1], start: Number(match[2]), count: Number(match[3]) });
  }
  return ranges;
}

/** The start of a free range of `count` ids above every range of both files (pure). */
export function freeSubordinateRange(
  files: readonly string[],
  count = SUBID_COUNT,
): { start: number; count: number } {
  const ends = files.flatMap((content) => parseSubordinateIds(content).map((r) => r.start + r.count));
  return { start: Math.max(SUBID_MIN, ...ends), count };
}

/** `file args` run as `owner` (real and effective uid and gid, no supplementary groups): root only. */
export function asUser(
  owner: { uid: number; gid: number },
  file: string,
  args: readonly string[],
): [string, string[]] {
  return ['setpriv', [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--', file, ...args]];
}

/**
 * The build account, created on first use when missing: `useradd --system` (no home, no login shell) and a free
 * range of 65,536 subordinate uids and gids, so that `mmdebstrap --mode=unshare` run as this account maps the
 * chroot's root and package users onto ids that own nothing on the host. Each creation is logged. Fails with
 * what to install when useradd, usermod, newuidmap or setpriv is missing.
 */
export async function ensureBuildAccount(options: {
  logger?: Logger;
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<BuildAccount> {
  const etc = '/etc';
  const hostPath = `${options.env?.PATH ?? ''}:${SYSTEM_PATH}`;
  await requireTools(hostPath, ['newuidmap', 'newgidmap', 'setpriv'], 'uidmap util-linux');
  let entry = await lookupAccount(BUILD_ACCOUNT_NAME);
  if (!entry) {
    const [useradd] = await requireTools(hostPath, ['useradd'], 'passwd');
    const created = await runCommand(
      useradd as string,
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        '--comment',
        'NanoClaw userland builds',
        BUILD_ACCOUNT_NAME,
      ],
      { env: { PATH: SYSTEM_PATH }, timeoutMs: 30_000 },
    );
    entry = await lookupAccount(BUILD_ACCOUNT_NAME);
    if (!entry)
      throw new SandboxImageError(
        'builder-missing',
        `could not create the build account ${BUILD_ACCOUNT_NAME}: ${(created.stderr || created.error?.message || `exit ${created.code}`).trim()}`,
      );
    options.logger?.info(
      { account: BUILD_ACCOUNT_NAME, uid: entry.uid, gid: entry.gid },
      `created the system account ${BUILD_ACCOUNT_NAME} (no home, no login) that agent userlands are built as`,
    );
  }
  const subids = await ensureSubordinateIds(etc, entry, hostPath, options.logger);
  return { name: BUILD_ACCOUNT_NAME, uid: entry.uid, gid: entry.gid, subids };
}

async function ensureSubordinateIds(
  etc: string,
  account: { uid: number; gid: number },
  hostPath: string,
  logger: Logger | undefined,
): Promise<{ start: number; count: number }> {
  const files = [`${etc}/subuid`, `${etc}/subgid`];
  const contents = await Promise.all(files.map((file) => fs.readFile(file, 'utf8').catch(() => '')));
  const mine = (content: string) =>
    parseSubordinateIds(content).find(
      (r) => (r.owner === BUILD_ACCOUNT_NAME || r.owner === String(account.uid)) && r.count >= SUBID_COUNT,
    );
  const [uids, gids] = contents.map(mine);
  if (uids && gids && uids.start === gids.start) return { start: uids.start, count: uids.count };
  const [usermod] = await requireTools(hostPath, ['usermod'], 'passwd');
  const range = freeSubordinateRange(contents);
  const span = `${range.start}-${range.start + range.count - 1}`;
  // usermod refuses to add ranges to files that do not exist yet.
  for (const file of files) await fs.writeFile(file, '', { flag: 'a', mode: 0o644 });
  const result = await runCommand(
    usermod as string,
    ['--add-subuids', span, '--add-subgids', span, BUILD_ACCOUNT_NAME],
    { env: { PATH: SYSTEM_PATH }, timeoutMs: 30_000 },
  );
  if (result.code !== 0)
    throw new SandboxImageError(
      'builder-missing',
      `could not give ${BUILD_ACCOUNT_NAME} subordinate ids ${span}: ${(result.stderr || result.error?.message || `exit ${result.code}`).trim()}`,
    );
  logger?.info(
    { account: BUILD_ACCOUNT_NAME, subuids: span, subgids: span },
    `gave ${BUILD_ACCOUNT_NAME} the subordinate ids ${span} in ${files.join(' and ')}`,
  );
  return range;
}

/**
 * The first of `paths` (or anything inside them) that `account` cannot read, or a directory it cannot enter, as
 * `find` run as that account reports it; undefined when all can be read. mmdebstrap's hooks copy the host's node
 * and npm as the account.
 */
export async function findUnreadableBy(
  account: { uid: number; gid: number },
  paths: readonly string[],
): Promise<string | undefined> {
  const [file, args] = asUser(account, 'find', [
    ...paths,
    '(',
    '!',
    '-readable',
    '-o',
    '-type',
    'd',
    '!',
    '-executable',
    ')',
    '-print',
    '-quit',
  ]);
  const result = await runCommand(file, args, { env: { PATH: SYSTEM_PATH }, timeoutMs: 60_000, cwd: '/' });
  const found = result.stdout.trim();
  if (found) return found;
  if (result.code !== 0) return (result.stderr || result.error?.message || `exit ${result.code}`).trim();
  return undefined;
}

/** The account's uid and gid (through NSS: `getent passwd`), or undefined when it does not exist. */
async function lookupAccount(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const result = await runCommand('getent', ['passwd', name], {
    env: { PATH: SYSTEM_PATH },
    timeoutMs: 10_000,
  });
  const fields = result.code === 0 ? result.stdout.trim().split(':') : [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  return fields.length >= 4 && Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

async function requireTools(hostPath: string, names: readonly string[], packages: string): Promise<string[]> {
  const found = await Promise.all(names.map((name) => findHostBinary(name, hostPath)));
  const missing = names.filter((_, i) => !found[i]);
  if (missing.length > 0) {
    throw new SandboxImageError(
      'builder-missing',
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed: a root host builds the agent userland as the unprivileged account ${BUILD_ACCOUNT_NAME}, which needs ${names.join(', ')}`,
      { hint: `apt-get install -y --no-install-recommends ${packages}` },
    );
  }
  return found as string[];
}
