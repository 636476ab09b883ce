import fs from 'node:fs/promises';
import path from 'node:path';
import { readJson, writePrivate } from './config.js';

/** What the provider remembers per thread in the session's CODEX_HOME (survives restarts with the thread). */
export interface ThreadState {
  /** `tokenUsage.total.inputTokens` right after the last successful compaction. */
  lastCompactionInputTokens: number;
}

const STATE_FILE = 'nanoclaw-provider-state.json';

export async function readThreadState(codexHome: string, threadId: string): Promise<ThreadState | undefined> {
  const state = await readJson(path.join(codexHome, STATE_FILE));
  const entry = isRecord(state) && isRecord(state.threads) ? state.threads[threadId] : undefined;
  if (!isRecord(entry) || typeof entry.lastCompactionInputTokens !== 'number') return undefined;
  return { lastCompactionInputTokens: entry.lastCompactionInputTokens };
}

export async function writeThreadState(
  codexHome: string,
  threadId: string,
  value: ThreadState,
): Promise<void> {
  const file = path.join(codexHome, STATE_FILE);
  const state = await readJson(file);
  const threads = isRecord(state) && isRecord(state.threads) ? { ...state.threads } : {};
  threads[threadId] = value;
  await fs.mkdir(codexHome, { recursive: true });
  await writePrivate(file, `${JSON.stringify({ threads }, null, 2)}\n`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
