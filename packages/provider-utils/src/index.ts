/** Kept for existing callers: core's. */
export { silentLogger } from '@nanoclaw/core';
export { Deferred } from './deferred.js';
export { LoopSession, type LoopSessionInit, openSession } from './loop-session.js';
export { LoopTurn } from './loop-turn.js';
export {
  type CompactionReason,
  createRunLoop,
  type EmitEvent,
  type RunLoop,
  type RunLoopProtocol,
} from './run-loop.js';
export type { ProviderSessionInit } from './session-init.js';
export {
  attachmentNote,
  INLINE_IMAGE_TYPES,
  isRemoteRef,
  type NativeAttachment,
  type SortedAttachments,
  sortAttachments,
  withNotes,
} from './turn-attachments.js';
export { withTimeout } from './with-timeout.js';
