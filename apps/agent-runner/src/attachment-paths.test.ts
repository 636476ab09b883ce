import { describe, expect, it } from 'vitest';
import { normalizeAttachmentPaths, withGroupRelativeAttachments } from './attachment-paths.js';

describe('normalizeAttachmentPaths', () => {
  it('makes absolute paths inside the group folder relative and keeps relative ones', () => {
    expect(
      normalizeAttachmentPaths(
        ['/workspace/group/out/chart.png', 'out/./notes.md', 'a/../b.txt', '/workspace/group/x/'],
        '/workspace/group',
      ),
    ).toEqual({ ok: true, paths: ['out/chart.png', 'out/notes.md', 'b.txt', 'x'] });
  });

  it('refuses paths that leave the group folder, naming the path', () => {
    for (const outside of [
      '../secret',
      '/etc/passwd',
      '/workspace/group/../other/x',
      'out/../../x',
      '.',
      '/workspace/group',
    ]) {
      const result = normalizeAttachmentPaths(['ok.png', outside], '/workspace/group');
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toContain(JSON.stringify(outside));
      expect(!result.ok && result.error).toContain('not a file inside your group folder');
    }
  });
});

describe('withGroupRelativeAttachments', () => {
  it('rewrites send_message attachments and leaves other actions alone', () => {
    expect(
      withGroupRelativeAttachments({ tool: 'send_message', text: '', attachments: ['/g/out/a.png'] }, '/g'),
    ).toEqual({ ok: true, action: { tool: 'send_message', text: '', attachments: ['out/a.png'] } });
    const list = { tool: 'list_tasks' } as const;
    expect(withGroupRelativeAttachments(list, undefined)).toEqual({ ok: true, action: list });
  });
});
