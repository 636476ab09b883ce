import path from 'node:path';

/** True when `child` is `parent` or below it (both absolute, already normalized or realpath'd). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** True when `child` is strictly below `parent`. */
export function isStrictlyInside(parent: string, child: string): boolean {
  return child !== parent && isInside(parent, child);
}

/** Rejects NUL and newline characters, which no sane path contains and some CLIs mis-parse. */
export function hasControlCharacters(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  return /[\u0000-\u001f]/.test(value);
}

/** A relative path with no empty, `.` or `..` segment, no leading `/`, no `:` and no control characters. */
export function isSafeRelativePath(value: string): boolean {
  if (value.length === 0 || value.length > 4096 || value.startsWith('/') || hasControlCharacters(value)) {
    return false;
  }
  if (value.includes(':') || value.includes('\\')) return false;
  return value.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Expands a leading `~` to `home`. */
export function expandHome(value: string, home: string): string {
  if (value === '~') return home;
  if (value.startsWith('~/')) return path.join(home, value.slice(2));
  return value;
}
