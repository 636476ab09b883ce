/**
 * The group configuration editor's pure part: the JSON text is the source of truth; the friendlier fields
 * (provider, model, skills) read and write single keys of it. A 400's `field` (`skills`, `mcpServers.x.command`)
 * is placed next to the field it names, or under the JSON text for any other key.
 */

export type FriendlyKey = 'provider' | 'model' | 'skills';
export const FRIENDLY_KEYS: readonly FriendlyKey[] = ['provider', 'model', 'skills'];

export type ParsedConfig = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

export function parseConfigText(text: string): ParsedConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'must be a JSON object ({ ... })' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

export function formatConfig(value: Record<string, unknown>): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The text a friendly field shows for its key: skills `"all"` or a comma-separated list. */
export function friendlyValue(config: Record<string, unknown>, key: FriendlyKey): string {
  const value = config[key];
  if (value === undefined || value === null) return '';
  if (key === 'skills' && Array.isArray(value)) return value.join(', ');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The config with one friendly field set from its text: empty removes the key (the default applies); skills
 * `all` stays the string, anything else becomes a list (`none` or `[]` is the empty list).
 */
export function setFriendlyValue(
  config: Record<string, unknown>,
  key: FriendlyKey,
  text: string,
): Record<string, unknown> {
  const next = { ...config };
  const trimmed = text.trim();
  if (trimmed === '') {
    delete next[key];
    return next;
  }
  if (key !== 'skills' || trimmed === 'all') {
    next[key] = trimmed;
    return next;
  }
  next[key] =
    trimmed === 'none' || trimmed === '[]'
      ? []
      : trimmed
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  return next;
}

/** The friendly field a validation error belongs to (`skills.2` → skills), or null: shown by the JSON text. */
export function friendlyKeyOf(field: string | undefined): FriendlyKey | null {
  if (!field) return null;
  const top = field.split('.')[0];
  return FRIENDLY_KEYS.find((k) => k === top) ?? null;
}
