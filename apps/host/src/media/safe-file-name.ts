import path from 'node:path';

/** The longest safe name, in characters (well under every file system's 255-byte limit). */
export const SAFE_NAME_MAX = 100;
/** The longest extension kept when a long name is cut. */
const EXTENSION_MAX = 16;
/** Names Windows reserves (a file synced to it must not be called that). */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;

/**
 * A file name safe to write into a folder, from an untrusted platform name: no directory part, no control or
 * bidi-override characters, no leading dot, no reserved name, only letters, digits, `.`, `-` and `_`, at most
 * `SAFE_NAME_MAX` characters (the extension kept). Never empty: `file` when nothing is left.
 */
export function safeFileName(untrusted: string, fallback = 'file'): string {
  const base = untrusted.split(/[/\\]/).at(-1) ?? '';
  const cleaned = base
    .normalize('NFKC')
    // C0/C1 controls and DEL (Cc), bidi overrides and isolates, zero-width characters (Cf).
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .replace(/_+/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._-]+/, '')
    .replace(/[._]+$/, '');
  const named = cleaned === '' ? fallback : RESERVED.test(cleaned) ? `_${cleaned}` : cleaned;
  return capLength(named);
}

function capLength(name: string): string {
  const chars = [...name];
  if (chars.length <= SAFE_NAME_MAX) return name;
  const extension = path.extname(name);
  const keep = extension.length > 1 && extension.length <= EXTENSION_MAX ? extension : '';
  return chars.slice(0, SAFE_NAME_MAX - keep.length).join('') + keep;
}

/** Same names in one list (one message's files) get `-2`, `-3`, ... before the extension. */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    if (count === 1) return name;
    const extension = path.extname(name);
    return `${name.slice(0, name.length - extension.length)}-${count}${extension}`;
  });
}
