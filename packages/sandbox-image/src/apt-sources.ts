import fs from 'node:fs/promises';
import path from 'node:path';
import type { AptSource } from './recipe.js';

/** Used when the machine has no Debian mirror configured (e.g. an Ubuntu or Fedora host with mmdebstrap). */
export const DEFAULT_APT_SOURCE: AptSource = {
  mirror: 'http://deb.debian.org/debian',
  securityMirror: 'http://deb.debian.org/debian-security',
};

interface SourceEntry {
  uri: string;
  suites: string[];
}

/** One-line `deb [options] uri suite components...` entries (pure). */
function parseListFile(content: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  for (const raw of content.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = line.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
    if (match?.[1] && match[2]) entries.push({ uri: match[1], suites: [match[2]] });
  }
  return entries;
}

/** deb822 `.sources` stanzas with `Types: deb` (pure). */
function parseDeb822(content: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  for (const stanza of content.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const match = line.match(/^([A-Za-z-]+):\s*(.*)$/);
      if (match?.[1]) fields.set(match[1].toLowerCase(), match[2] ?? '');
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) entries.push({ uri, suites });
  }
  return entries;
}

/**
 * The Debian mirror among the machine's apt sources (pure): the first source that carries a suite of the
 * `suite` family (`bookworm`, `bookworm-updates`) for the archive, and one carrying `<suite>-security` for
 * security updates. Falls back to deb.debian.org for what is not configured.
 */
export function findAptSource(files: readonly { name: string; content: string }[], suite: string): AptSource {
  const entries = files.flatMap((file) =>
    file.name.endsWith('.sources') ? parseDeb822(file.content) : parseListFile(file.content),
  );
  const archive = entries.find((entry) => entry.suites.some((s) => s === suite || s === `${suite}-updates`));
  const security = entries.find((entry) => entry.suites.includes(`${suite}-security`));
  return {
    mirror: archive?.uri.replace(/\/+$/, '') ?? DEFAULT_APT_SOURCE.mirror,
    securityMirror: security?.uri.replace(/\/+$/, '') ?? DEFAULT_APT_SOURCE.securityMirror,
  };
}

/** Reads `/etc/apt/sources.list` and `/etc/apt/sources.list.d/*.{list,sources}` (missing files are skipped). */
export async function readAptSourceFiles(aptDir = '/etc/apt'): Promise<{ name: string; content: string }[]> {
  const names = [path.join(aptDir, 'sources.list')];
  const dir = path.join(aptDir, 'sources.list.d');
  const listed = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of listed.sort()) {
    if (name.endsWith('.list') || name.endsWith('.sources')) names.push(path.join(dir, name));
  }
  const files: { name: string; content: string }[] = [];
  for (const name of names) {
    const content = await fs.readFile(name, 'utf8').catch(() => undefined);
    if (content !== undefined) files.push({ name, content });
  }
  return files;
}

/** The mirror to build from: `override` (a URL) if given, else the machine's configured Debian mirror. */
export async function resolveAptSource(suite: string, override?: string): Promise<AptSource> {
  const found = findAptSource(await readAptSourceFiles(), suite);
  if (!override) return found;
  const mirror = override.replace(/\/+$/, '');
  return { mirror, securityMirror: found.securityMirror };
}
