import { z } from 'zod';

/** A group folder: what `groups/<folder>/` is called. `global` holds shared memory and is reserved. */
export const GROUP_FOLDER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const RESERVED_GROUP_FOLDERS = ['global'] as const;

export const groupFolderSchema = z
  .string()
  .regex(GROUP_FOLDER_PATTERN, {
    message: 'must be 1-64 characters of letters, digits, "_" or "-", starting with a letter or digit',
  })
  .refine((value) => !(RESERVED_GROUP_FOLDERS as readonly string[]).includes(value.toLowerCase()), {
    message: 'is reserved',
  });

/** A provider id as it appears in config and the database: `claude`, `codex`, `opencode`, `mock`, or a fork's own. */
export const providerIdSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, {
  message: 'must be a lower-case provider id such as "claude" or "codex"',
});

export const KNOWN_PROVIDERS = ['claude', 'codex', 'opencode', 'mock'] as const;
export type KnownProviderId = (typeof KNOWN_PROVIDERS)[number];

/** An IANA time zone name, checked against the runtime's own zone database. */
export const timezoneSchema = z.string().refine(
  (value) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not a known IANA time zone (for example "Europe/London")' },
);

/** An environment variable name. */
export const envKeySchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'is not a valid env name' });
