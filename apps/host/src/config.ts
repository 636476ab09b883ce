import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { errorMessage, NanoclawError, providerIdSchema, timezoneSchema } from '@nanoclaw/core';
import { z } from 'zod';

const RUNTIMES = ['auto', 'docker', 'apple', 'bwrap', 'process'] as const;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Keys whose values never appear in an error message or a log line. */
export const SECRET_KEYS = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'OPENROUTER_API_KEY',
  'DEEPSEEK_API_KEY',
  'GROQ_API_KEY',
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'OPENAI_API_KEY',
  'OPENCODE_API_KEY',
  'TELEGRAM_BOT_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'DISCORD_BOT_TOKEN',
  'TRANSCRIBE_API_KEY',
] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional())
  .optional();

const port = z.coerce
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must be between 0 (any free port) and 65535' })
  .max(65535, { error: 'must be between 0 (any free port) and 65535' });

function positiveInt(max: number) {
  return z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must not be negative' })
    .max(max, { error: `must be at most ${max}` });
}

function hostTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * The host's whole configuration: the environment (and `.env`) read once at start. Every key is listed in
 * `.env.example` and the README.
 */
export const configSchema = z.object({
  NANOCLAW_DATA_DIR: z.string().min(1).default('./data'),
  NANOCLAW_GROUPS_DIR: z.string().min(1).default('./groups'),
  NANOCLAW_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  NANOCLAW_HTTP_PORT: port.default(7420),
  NANOCLAW_RUNTIME: z.enum(RUNTIMES, { error: `must be one of ${RUNTIMES.join(', ')}` }).default('auto'),
  NANOCLAW_MAX_CONCURRENT: positiveInt(256).min(1, { error: 'must be at least 1' }).default(5),
  NANOCLAW_USERLAND_CACHE_DIR: optionalString,
  NANOCLAW_DEBIAN_MIRROR: optionalUrl,
  AGENT_PROVIDER: z
    .string()
    .trim()
    .transform((value) => (value === '' ? undefined : value))
    .pipe(providerIdSchema.optional())
    .optional(),
  ASSISTANT_NAME: z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(64)
    .regex(/^[\p{L}\p{N}_-]+$/u, { error: 'must be one word (letters, digits, "_" or "-")' })
    .default('Andy'),
  TZ: z
    .string()
    .trim()
    .transform((value) => (value === '' ? hostTimezone() : value))
    .pipe(timezoneSchema)
    .default(hostTimezone()),
  MEDIA_MAX_MB: z.coerce
    .number({ error: 'must be a number' })
    .positive({ error: 'must be more than 0' })
    .max(2048, { error: 'must be at most 2048' })
    .default(20),
  MEDIA_RETENTION_DAYS: positiveInt(36_500).min(1, { error: 'must be at least 1' }).default(30),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' }).default('auto'),

  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_AUTH_TOKEN: optionalString,
  CLAUDE_CODE_OAUTH_TOKEN: optionalString,
  ANTHROPIC_BASE_URL: optionalUrl,
  CLAUDE_MODEL: optionalString,
  ANTHROPIC_MODEL: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  CODEX_MODEL: optionalString,
  CODEX_COMPACT_THRESHOLD_TOKENS: positiveInt(100_000_000).default(40_000),
  CODEX_MAX_RETRIES: positiveInt(100).optional(),
  OPENCODE_MODEL: optionalString,
  OPENCODE_PROVIDER: optionalString,
  OPENCODE_MAX_RETRIES: positiveInt(100).optional(),
  OPENROUTER_API_KEY: optionalString,
  DEEPSEEK_API_KEY: optionalString,
  GROQ_API_KEY: optionalString,
  GOOGLE_GENERATIVE_AI_API_KEY: optionalString,

  // Chat platforms: each starts when its credential is set (another account: the same key + `__<ACCOUNT>`).
  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_API_ROOT: optionalUrl,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: optionalUrl,
  DISCORD_BOT_TOKEN: optionalString,
  DISCORD_API_URL: optionalUrl,
  WHATSAPP_ENABLED: z
    .enum(['', '0', '1', 'true', 'false'], { error: 'must be 1/true or 0/false' })
    .optional(),
  WHATSAPP_AUTH_DIR: optionalString,
  GMAIL_CLIENT_ID: optionalString,
  GMAIL_CLIENT_SECRET: optionalString,
  GMAIL_MAX_ATTACHMENT_MB: positiveInt(25).optional(),
  GMAIL_POLL_SECONDS: positiveInt(3600).optional(),
  GMAIL_API_ROOT: optionalUrl,
  GMAIL_TOKEN_URL: optionalUrl,
  GMAIL_AUTH_URL: optionalUrl,

  // Voice notes: an OpenAI-compatible `/audio/transcriptions` endpoint (a local whisper server needs no key).
  TRANSCRIBE_BASE_URL: optionalUrl,
  TRANSCRIBE_API_KEY: optionalString,
  TRANSCRIBE_MODEL: z
    .string()
    .trim()
    .transform((value) => (value === '' ? 'whisper-1' : value))
    .default('whisper-1'),
});

export type HostConfig = z.infer<typeof configSchema> & {
  /**
   * Every `TELEGRAM_*`, `SLACK_*`, `DISCORD_*`, `WHATSAPP_*` and `GMAIL_*` value of the environment and `.env`, as text: the
   * channel adapters' credentials, including extra accounts (`TELEGRAM_BOT_TOKEN__WORK`), which no fixed schema
   * can list. Secrets: never logged.
   */
  channelEnv?: Readonly<Record<string, string>>;
};

/** The env prefixes channel adapters read (see `HostConfig.channelEnv`). */
export const CHANNEL_ENV_PREFIX = /^(TELEGRAM|SLACK|DISCORD|WHATSAPP|GMAIL)_[A-Z0-9_]+$/;

/** A bad or missing configuration value. The message lists every bad key and what it must be. */
export class ConfigError extends NanoclawError<'config-invalid'> {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly keys: readonly string[],
  ) {
    super('config-invalid', message);
  }
}

export interface LoadConfigOptions {
  /** Defaults to `process.env`. Values here win over `.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Path of the `.env` file; a missing file is fine. Defaults to `<cwd>/.env`. */
  envFile?: string;
  cwd?: string;
}

/**
 * Reads `.env` (if present) under the process environment and validates everything once.
 * Throws `ConfigError` naming each bad key; never returns a half-valid config.
 */
export function loadConfig(options: LoadConfigOptions = {}): HostConfig {
  const cwd = options.cwd ?? process.cwd();
  const envFile = options.envFile ?? path.join(cwd, '.env');
  const fromFile = readEnvFile(envFile);
  const merged: Record<string, string | undefined> = { ...fromFile, ...(options.env ?? process.env) };
  const known = Object.fromEntries(Object.keys(configSchema.shape).map((key) => [key, merged[key]]));
  const result = configSchema.safeParse(known);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '(config)');
      const raw = merged[key];
      const shown = raw === undefined || isSecret(key) ? '' : ` (got ${JSON.stringify(truncate(raw))})`;
      return { key, line: `  ${key}: ${issue.message}${shown}` };
    });
    const keys = [...new Set(lines.map((l) => l.key))];
    throw new ConfigError(
      `Invalid configuration (from the environment or ${envFile}):\n${lines.map((l) => l.line).join('\n')}`,
      keys,
    );
  }
  const config = result.data;
  const channelEnv = Object.fromEntries(
    Object.entries(merged).filter(
      (entry): entry is [string, string] => CHANNEL_ENV_PREFIX.test(entry[0]) && typeof entry[1] === 'string',
    ),
  );
  return {
    ...config,
    channelEnv,
    NANOCLAW_DATA_DIR: path.resolve(cwd, config.NANOCLAW_DATA_DIR),
    NANOCLAW_GROUPS_DIR: path.resolve(cwd, config.NANOCLAW_GROUPS_DIR),
  };
}

function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${file}: ${errorMessage(error)}`, []);
  }
  return parseEnv(text) as Record<string, string>;
}

function isSecret(key: string): boolean {
  return (SECRET_KEYS as readonly string[]).includes(key) || /KEY|TOKEN|SECRET|PASSWORD/.test(key);
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

/**
 * The parsed config as env text (numbers and booleans written back as strings), which is what providers'
 * allowlists pass into a sandbox: `CODEX_COMPACT_THRESHOLD_TOKENS=40000` arrives as "40000", not dropped.
 */
export function configAsEnv(config: HostConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'string') env[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') env[key] = String(value);
  }
  return env;
}
