import path from 'node:path';
import type { AgentAction } from '@nanoclaw/core';

export type NormalizedPaths = { ok: true; paths: string[] } | { ok: false; error: string };

/**
 * The host resolves `send_message` attachments against the group folder, so it gets them relative to it: an
 * absolute path inside the group folder (as the agent sees it: its cwd) becomes relative, a relative one stays
 * (normalized), and anything that leaves the folder (`..`, another absolute path) is refused here, with a reason
 * the agent can act on. The host checks again without following symlinks; this is only the agent's view.
 */
export function normalizeAttachmentPaths(paths: readonly string[], groupDir: string): NormalizedPaths {
  const root = path.resolve(groupDir);
  const normalized: string[] = [];
  for (const raw of paths) {
    const relative = path.isAbsolute(raw) ? path.relative(root, path.resolve(raw)) : path.normalize(raw);
    const clean = relative.replace(/\/+$/, '');
    if (
      clean === '' ||
      clean === '.' ||
      clean === '..' ||
      clean.startsWith('../') ||
      path.isAbsolute(clean)
    ) {
      return {
        ok: false,
        error: `attachment ${JSON.stringify(raw)} is not a file inside your group folder (${root}); write it there first, e.g. ${path.join(root, 'out', path.basename(raw) || 'file')}`,
      };
    }
    normalized.push(clean);
  }
  return { ok: true, paths: normalized };
}

/** `send_message` with its attachments made relative to the group folder; other actions unchanged. */
export function withGroupRelativeAttachments(
  action: AgentAction,
  groupDir: string | undefined,
): { ok: true; action: AgentAction } | { ok: false; error: string } {
  if (action.tool !== 'send_message' || !action.attachments?.length) return { ok: true, action };
  if (groupDir === undefined) return { ok: false, error: 'no session: the group folder is unknown' };
  const result = normalizeAttachmentPaths(action.attachments, groupDir);
  return result.ok ? { ok: true, action: { ...action, attachments: result.paths } } : result;
}
