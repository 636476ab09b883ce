import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InboundMessageInput, Logger } from '@nanoclaw/core';
import { type NanoclawDatabase, openDatabase } from '@nanoclaw/db';
import type { ChatRef } from './chat-ref.js';
import { createGroupRegistry, type GroupRegistry } from './group-registry.js';

/** Test-only helpers shared by the host's domain tests. */

export interface LogLine {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  bindings: Record<string, unknown>;
  message: string;
}

export interface RecordingLogger extends Logger {
  lines: LogLine[];
}

export function createRecordingLogger(lines: LogLine[] = []): RecordingLogger {
  const level =
    (name: LogLine['level']) =>
    (first: string | Record<string, unknown>, message?: string): void => {
      if (typeof first === 'string') lines.push({ level: name, bindings: {}, message: first });
      else lines.push({ level: name, bindings: first, message: message ?? '' });
    };
  return {
    lines,
    trace: level('trace'),
    debug: level('debug'),
    info: level('info'),
    warn: level('warn'),
    error: level('error'),
    fatal: level('fatal'),
    child: () => createRecordingLogger(lines),
  };
}

export interface TestEnv {
  database: NanoclawDatabase;
  root: string;
  groupsDir: string;
  cleanup(): Promise<void>;
}

/** A migrated in-memory database and an empty temporary groups folder. */
export async function createTestEnv(): Promise<TestEnv> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-domain-'));
  const groupsDir = path.join(root, 'groups');
  fs.mkdirSync(groupsDir);
  const database = await openDatabase({ path: ':memory:' });
  return {
    database,
    root,
    groupsDir,
    cleanup: async () => {
      await database.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Telegram chat `chatId` of the default account. */
export const telegramChat = (chatId: string): ChatRef => ({
  channel: 'telegram',
  accountId: 'default',
  chatId,
});

/** A test env with one group, `family` (id `grp`), optionally bound to a chat; the registry that holds it. */
export async function createFamilyEnv(chat?: {
  channel: string;
  accountId: string;
  chatId: string;
}): Promise<{ env: TestEnv; registry: GroupRegistry }> {
  const env = await createTestEnv();
  const registry = createGroupRegistry({
    db: env.database.db,
    groupsDir: env.groupsDir,
    generateId: () => 'grp',
  });
  await registry.add({ folder: 'family', ...(chat ? { chat: { ref: chat } } : {}) });
  return { env, registry };
}

/** A message from Alice in Telegram chat `42`, as a channel hands it to the host. */
export function telegramMessage(
  id: string,
  overrides: Partial<InboundMessageInput> = {},
): InboundMessageInput {
  return {
    channel: 'telegram',
    chatId: '42',
    platformMessageId: id,
    sender: { id: 'alice', name: 'Alice' },
    text: `message ${id}`,
    sentAt: '2026-11-24T09:00:00Z',
    ...overrides,
  };
}
