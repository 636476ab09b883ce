import fs from 'node:fs/promises';
import path from 'node:path';

/** Where PreCompact archives go, relative to the session's cwd (the group folder). */
export const ARCHIVE_DIR = 'conversations';

export interface ArchiveInput {
  /** Claude Code's JSONL transcript of the session (`transcript_path` of the hook input). */
  transcriptPath: string;
  sessionId: string;
  cwd: string;
  trigger: 'manual' | 'auto';
  now?: Date;
}

/**
 * Writes the conversation so far as Markdown to `<cwd>/conversations/<YYYY-MM-DD>-<sessionId>.md` before Claude
 * Code compacts it (the transcript keeps growing across compactions, so a later archive of the same day is a
 * superset and replaces the earlier one). Returns the file written.
 */
export async function archiveTranscript(input: ArchiveInput): Promise<string> {
  const now = input.now ?? new Date();
  const raw = await fs.readFile(input.transcriptPath, 'utf8');
  const dir = path.join(input.cwd, ARCHIVE_DIR);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${now.toISOString().slice(0, 10)}-${safeName(input.sessionId)}.md`);
  const header = [
    `# Conversation ${input.sessionId}`,
    '',
    `Archived ${now.toISOString()} before ${input.trigger === 'auto' ? 'automatic' : 'requested'} compaction.`,
    '',
  ];
  await fs.writeFile(file, [...header, ...transcriptMarkdown(raw)].join('\n'));
  return file;
}

/** The user and assistant texts of a Claude Code JSONL transcript as Markdown sections. */
export function transcriptMarkdown(jsonl: string): string[] {
  const out: string[] = [];
  for (const line of jsonl.split('\n')) {
    const entry = parseLine(line);
    if (!entry || (entry.type !== 'user' && entry.type !== 'assistant') || entry.isMeta === true) continue;
    const text = messageText(entry.message);
    if (text === '') continue;
    out.push(`## ${entry.type === 'user' ? 'User' : 'Assistant'}`, '', text, '');
  }
  return out;
}

function messageText(message: unknown): string {
  if (!isRecord(message)) return '';
  if (typeof message.content === 'string') return cleanText(message.content);
  if (!Array.isArray(message.content)) return '';
  return message.content
    .flatMap((part) =>
      isRecord(part) && part.type === 'text' && typeof part.text === 'string' ? [part.text] : [],
    )
    .map(cleanText)
    .filter((text) => text !== '')
    .join('\n\n');
}

/** Drops Claude Code's `<system-reminder>` and local-command wrappers from a text. */
function cleanText(text: string): string {
  return text
    .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '')
    .replace(/<local-command-[a-z]+>[\s\S]*?<\/local-command-[a-z]+>/g, '')
    .trim();
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (line.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function safeName(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
