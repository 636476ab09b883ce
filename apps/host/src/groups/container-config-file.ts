import fs from 'node:fs/promises';
import path from 'node:path';
import { isSandboxError, readGroupFile } from '@nanoclaw/container-runner';
import { type ContainerConfig, containerConfigSchema, errorMessage } from '@nanoclaw/core';
import { compileTrigger } from './trigger.js';

/**
 * Where a group's settings live: `groups/<folder>.container.json`, beside the group's folder, not in it. The folder is the
 * agent's (mounted read-write in its sandbox); a settings file inside it could be rewritten by the agent, even
 * pinned read-only (an editor that saves by rename drops a pin), so the host reads none there.
 */
export function groupSettingsFile(folder: string): string {
  return `${folder}.container.json`;
}

/** The old place (`groups/<folder>/container.json`): moved once, at the first start that finds it (see `moveLegacySettings`). */
export const LEGACY_SETTINGS_FILE = 'container.json';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why a group cannot be served: which file, which key in it ('' for the whole file), and what is wrong. */
export interface ConfigIssue {
  file: string;
  key: string;
  message: string;
}

export type ContainerConfigResult =
  | { config: ContainerConfig | null; error: null }
  | { config: null; error: ConfigIssue };

/** `groups/main.container.json: timeouts.turnMs: Too small: expected number to be >=1000` (the path a user edits). */
export function formatConfigIssue(issue: ConfigIssue): string {
  return issue.key === ''
    ? `groups/${issue.file}: ${issue.message}`
    : `groups/${issue.file}: ${issue.key}: ${issue.message}`;
}

/**
 * Reads and validates `<groupsDir>/<folder>.container.json` without following symlinks. A missing file is no settings
 * (defaults apply); anything else wrong comes back as one `ConfigIssue` naming the file and key.
 */
export async function readGroupSettings(groupsDir: string, folder: string): Promise<ContainerConfigResult> {
  const file = groupSettingsFile(folder);
  let bytes: Buffer;
  try {
    bytes = await readGroupFile(groupsDir, file, { maxBytes: 1024 * 1024 });
  } catch (error) {
    if (isMissing(error)) return { config: null, error: null };
    const message = isSandboxError(error) ? stripPrefix(error.message, file) : errorMessage(error);
    return { config: null, error: { file, key: '', message: `cannot be read: ${message}` } };
  }
  let raw: string;
  try {
    // Strict: a lenient decode turns bad bytes into U+FFFD, which can make a valid-looking (wrong) value.
    raw = utf8.decode(bytes);
  } catch {
    return { config: null, error: { file, key: '', message: 'is not valid UTF-8 (save it as UTF-8)' } };
  }
  return parseContainerConfig(raw, file);
}

/** Validates the text of a group's settings (the `container.json` schema); `file` is only used in the issue. */
export function parseContainerConfig(raw: string, file: string): ContainerConfigResult {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return {
      config: null,
      error: { file, key: '', message: `is not valid JSON: ${errorMessage(error)}` },
    };
  }
  const parsed = containerConfigSchema.safeParse(json);
  if (parsed.success) return { config: parsed.data, error: null };
  const issues = parsed.error.issues.map((issue) => ({
    key: issueKey(issue.path, 'keys' in issue ? issue.keys : undefined),
    message: issue.message,
  }));
  const [first, ...rest] = issues;
  const also =
    rest.length === 0 ? '' : ` (also: ${rest.map((i) => `${i.key || '(file)'}: ${i.message}`).join('; ')})`;
  return {
    config: null,
    error: { file, key: first?.key ?? '', message: `${first?.message ?? 'is invalid'}${also}` },
  };
}

/** The settings' own rule beyond the schema: a `trigger` must be a valid regular expression. */
export function configTriggerIssue(
  config: ContainerConfig | null | undefined,
  file: string,
): ConfigIssue | null {
  const source = config?.trigger;
  if (source === undefined) return null;
  const compiled = compileTrigger(source);
  return compiled.ok ? null : { file, key: 'trigger', message: compiled.error };
}

/**
 * The settings file's JSON as it is: `{}` when there is none, `null` when it is not JSON (or cannot be read: the
 * group's `configError` says why).
 */
export async function readGroupSettingsJson(groupsDir: string, folder: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readGroupFile(groupsDir, groupSettingsFile(folder), { maxBytes: 1024 * 1024 });
  } catch (error) {
    if (isMissing(error)) return {};
    return null;
  }
  try {
    return JSON.parse(utf8.decode(bytes)) as unknown;
  } catch {
    return null;
  }
}

/**
 * Checks `value` as a group's whole settings (the `container.json` schema and the trigger rule, as reading the
 * file does) and, when valid, writes it as `groups/<folder>.container.json`: a temporary file beside it (mode
 * 0644), then a rename over it, so the host and a running `nanoclaw` never read half a file. Invalid: nothing is
 * written and the issue names the key.
 */
export async function writeGroupSettings(
  groupsDir: string,
  folder: string,
  value: unknown,
): Promise<ContainerConfigResult> {
  const file = groupSettingsFile(folder);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  const result = parseContainerConfig(text, file);
  if (result.error) return result;
  const trigger = configTriggerIssue(result.config, file);
  if (trigger) return { config: null, error: trigger };
  const target = path.join(groupsDir, file);
  const temporary = path.join(groupsDir, `.${file}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(temporary, text, { flag: 'wx', mode: 0o644 });
    await fs.chmod(temporary, 0o644);
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  return result;
}

function issueKey(path: readonly PropertyKey[], keys: readonly string[] | undefined): string {
  return [...path.map(String), ...(keys?.slice(0, 1) ?? [])].join('.');
}

function isMissing(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === 'ENOENT';
}

/** readGroupFile prefixes its messages with the relative path, which the issue already names. */
function stripPrefix(message: string, file: string): string {
  return message.startsWith(`${file}: `)
    ? message.slice(file.length + 2)
    : message.startsWith(`${file} `)
      ? message.slice(file.length + 1)
      : message;
}
