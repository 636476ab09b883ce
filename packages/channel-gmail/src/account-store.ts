import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * What one Gmail account keeps in `<dataDir>/gmail/<accountId>/`, each file 0600 in a 0700 folder, written
 * atomically (temporary file, then rename): `token.json` (the OAuth refresh token: a secret, never logged) and
 * `state.json` (where the history was read up to, so a restart neither misses nor repeats mail).
 */

const tokenSchema = z.object({ refreshToken: z.string().min(1), email: z.string().optional() });
export type StoredToken = z.infer<typeof tokenSchema>;

const stateSchema = z.object({
  /** The history id the next `history.list` starts from. */
  historyId: z.string().optional(),
  /** Per thread: a notice to put above the next reply (e.g. an attachment that was over the limit). */
  notices: z.record(z.string(), z.string()).default({}),
});
export type ChannelState = z.infer<typeof stateSchema>;

export const TOKEN_FILE = 'token.json';
export const STATE_FILE = 'state.json';

export function accountDir(dataDir: string, accountId: string): string {
  return path.join(dataDir, 'gmail', accountId);
}

export async function readToken(dir: string): Promise<StoredToken | undefined> {
  const json = await readJson(path.join(dir, TOKEN_FILE));
  return json === undefined ? undefined : tokenSchema.parse(json);
}

export async function writeToken(dir: string, token: StoredToken): Promise<void> {
  await writeSecretFile(path.join(dir, TOKEN_FILE), `${JSON.stringify(token, null, 2)}\n`);
}

export async function readState(dir: string): Promise<ChannelState> {
  const json = await readJson(path.join(dir, STATE_FILE));
  return stateSchema.parse(json ?? {});
}

export async function writeState(dir: string, state: ChannelState): Promise<void> {
  await writeSecretFile(path.join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Written 0600 under a temporary name in the same 0700 folder, then renamed over the old file. */
export async function writeSecretFile(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(temporary, content, { mode: 0o600 });
  await fs.chmod(temporary, 0o600);
  await fs.rename(temporary, file);
}
