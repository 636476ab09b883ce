export type CompiledTrigger = { ok: true; regex: RegExp } | { ok: false; error: string };

import { errorMessage } from '@nanoclaw/core';

/** A group's own trigger: a regular expression source, matched case-insensitively. */
export function compileTrigger(source: string): CompiledTrigger {
  try {
    return { ok: true, regex: new RegExp(source, 'i') };
  } catch (error) {
    return { ok: false, error: `is not a valid regular expression: ${errorMessage(error)}` };
  }
}

/**
 * The host's default trigger: `@<name>` as a whole word, in any case. `@Andy,` and `hi @andy` match;
 * `@Andyman` and `mail@Andy` do not.
 */
export function assistantTrigger(assistantName: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}_])@${escapeRegExp(assistantName)}(?![\\p{L}\\p{N}_])`, 'iu');
}

/** Escapes syntax characters; valid with and without the `u` flag (so `-` and `/` are left alone). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
