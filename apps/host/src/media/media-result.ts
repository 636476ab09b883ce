import type { Attachment } from '@nanoclaw/core';

/** An inbound attachment the host saved into the group's inbox. */
export interface SavedMedia {
  ok: true;
  /** `ref` is the path relative to the group folder (the agent's cwd); type and size are the bytes' own. */
  attachment: Attachment;
  /** The user's name for the file (before it was made safe). */
  originalName: string;
  /** Where the agent finds the file: `/workspace/group/inbox/...` in a sandbox, the host path in `process`. */
  sandboxPath: string;
  /** The file's path on the host. */
  hostPath: string;
  /** Set when the bytes were another type than the name said (the real extension was added to the name). */
  mismatch?: { claimed: string };
  /** Voice notes: the transcript, why there is none, or that no transcription is configured. */
  transcript?: { text: string } | { error: string } | { unconfigured: true };
}

/** An inbound attachment the host could not save, and why, in words a user can read. */
export interface FailedMedia {
  ok: false;
  name: string;
  reason: string;
}

export type MediaResult = SavedMedia | FailedMedia;
