import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '@nanoclaw/core';

/** The token file's name inside the data dir. */
export const API_TOKEN_FILE = 'api-token';

const TOKEN_BYTES = 32;
const MIN_TOKEN_LENGTH = 16;
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/** `<dataDir>/api-token`. */
export function apiTokenPath(dataDir: string): string {
  return path.join(dataDir, API_TOKEN_FILE);
}

/** A fresh token: 32 random bytes, base64url (43 characters). */
export function generateApiToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * The HTTP API's bearer token. Created at first start (mode 0600, never through a symlink); an existing file
 * readable by others is narrowed to 0600. Throws when the file is a symlink, not a regular file, not owned by
 * this user, or holds something that is not a token.
 */
export function ensureApiToken(dataDir: string): string {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = apiTokenPath(dataDir);
  const existing = readTokenFile(file, { fixMode: true });
  if (existing !== undefined) return existing;
  const token = generateApiToken();
  try {
    fs.writeFileSync(file, `${token}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    // Another process created it between our read and write: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readApiToken(dataDir);
    throw new Error(`cannot write the API token ${file}: ${errorMessage(error)}`, { cause: error });
  }
  return token;
}

/**
 * The token of a host that already started once (for the CLI). Never creates or changes the file; throws with
 * a hint when it is missing.
 */
export function readApiToken(dataDir: string): string {
  const file = apiTokenPath(dataDir);
  const token = readTokenFile(file, { fixMode: false });
  if (token === undefined) {
    throw new Error(
      `no API token at ${file}: the host writes it at its first start (is NANOCLAW_DATA_DIR the same?)`,
    );
  }
  return token;
}

function readTokenFile(file: string, options: { fixMode: boolean }): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new Error(`refusing the API token ${file}: it is a symlink; remove it`);
    throw new Error(`cannot read the API token ${file}: ${errorMessage(error)}`, { cause: error });
  }
  try {
    checkTokenFile(fd, file, options);
    const token = fs.readFileSync(fd, 'utf8').trim();
    if (token.length < MIN_TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) {
      throw new Error(
        `the API token ${file} is not a token (at least ${MIN_TOKEN_LENGTH} printable characters); delete it and start the host to make a new one`,
      );
    }
    return token;
  } finally {
    fs.closeSync(fd);
  }
}

function checkTokenFile(fd: number, file: string, options: { fixMode: boolean }): void {
  const stat = fs.fstatSync(fd);
  if (!stat.isFile()) throw new Error(`refusing the API token ${file}: it is not a regular file`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new Error(`refusing the API token ${file}: it belongs to another user (uid ${stat.uid})`);
  }
  if (options.fixMode && (stat.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
}
