/**
 * The allowlists of the repository checks (long-functions.allow.json, never-reject.allow.json): a JSON object
 * of `path#name` → the reason it is allowed. An empty reason is kept as '' so the checks can name it.
 */
import fs from 'node:fs';

export type Allowlist = Record<string, string>;

export function parseAllowlist(text: string, what: string): Allowlist {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${what} must be a JSON object of "path#name": "reason"`);
  }
  const out: Allowlist = {};
  for (const [key, value] of Object.entries(parsed)) out[key] = typeof value === 'string' ? value : '';
  return out;
}

export function readAllowlist(file: string): Allowlist {
  return parseAllowlist(fs.readFileSync(file, 'utf8'), file);
}

/** One problem per entry whose reason is empty. */
export function entriesWithoutReason(allow: Allowlist): string[] {
  return Object.entries(allow)
    .filter(([, reason]) => reason.trim() === '')
    .map(([key]) => `${key}: the allowlist entry needs a reason`);
}
