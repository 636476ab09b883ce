import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveTranscript, transcriptMarkdown } from './archive.js';
import { cleanupTempDirs, tempDir } from './test-utils.js';

afterAll(cleanupTempDirs);

const lines = [
  { type: 'queue-operation', operation: 'enqueue' },
  { type: 'user', message: { role: 'user', content: 'What is the secret?' } },
  {
    type: 'assistant',
    message: {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'hm' },
        { type: 'text', text: 'PAPAYA.' },
      ],
    },
  },
  {
    type: 'user',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'x' }] },
  },
  { type: 'user', isMeta: true, message: { role: 'user', content: 'meta' } },
  {
    type: 'user',
    message: {
      role: 'user',
      content: [
        { type: 'text', text: '<system-reminder>noise</system-reminder>' },
        { type: 'text', text: 'Thanks' },
      ],
    },
  },
];

describe('transcript archive', () => {
  it('keeps user and assistant texts, drops tool results, meta entries and system reminders', () => {
    const markdown = transcriptMarkdown(
      `${lines.map((line) => JSON.stringify(line)).join('\n')}\nnot json\n`,
    );
    expect(markdown.join('\n')).toBe(
      [
        '## User',
        '',
        'What is the secret?',
        '',
        '## Assistant',
        '',
        'PAPAYA.',
        '',
        '## User',
        '',
        'Thanks',
        '',
      ].join('\n'),
    );
  });

  it('writes <cwd>/conversations/<date>-<session>.md', async () => {
    const dir = tempDir();
    const transcript = path.join(dir, 'session.jsonl');
    fs.writeFileSync(transcript, lines.map((line) => JSON.stringify(line)).join('\n'));
    const file = await archiveTranscript({
      transcriptPath: transcript,
      sessionId: 'abc-123',
      cwd: path.join(dir, 'group'),
      trigger: 'auto',
      now: new Date('2026-11-24T10:00:00Z'),
    });
    expect(file).toBe(path.join(dir, 'group', 'conversations', '2026-11-24-abc-123.md'));
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('# Conversation abc-123');
    expect(text).toContain('before automatic compaction');
    expect(text).toContain('PAPAYA.');
  });
});
