/** A voice note or audio file the host saved under a group's inbox, to be turned into text before the turn. */
export interface TranscriptionInput {
  /** The file on the host (inside the group folder's `inbox/`). */
  hostPath: string;
  /** The group whose folder holds it (a conversion runs in that group's sandbox userland). */
  group: { id: string; folder: string };
  /** The user's file name (already made safe) and the sniffed MIME type. */
  name: string;
  mimeType: string;
}

/**
 * Speech to text for inbound audio, configured by `TRANSCRIBE_BASE_URL` (an OpenAI-compatible
 * `/audio/transcriptions` endpoint). `transcribe` resolves with the transcript, or rejects with an error whose
 * message says why in words a user can read (endpoint down, format refused, ...).
 */
export interface Transcriber {
  transcribe(input: TranscriptionInput, signal?: AbortSignal): Promise<string>;
}
