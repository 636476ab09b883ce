export { numberedCardText, parseNumberedReply } from './card-fallback.js';
export type {
  EnqueueResult,
  OutboundMessageInput,
  Outbox,
  OutboxInput,
  OutboxOptions,
  OutboxRow,
} from './outbox.js';
export { adapterTextLimit, createOutbox, OutboundValidationError } from './outbox.js';
export type { FlushResult, OutboxWorker, OutboxWorkerOptions } from './outbox-worker.js';
export { createOutboxWorker } from './outbox-worker.js';
export type {
  FailureReport,
  FailureReporter,
  FailureReporterOptions,
  FailureReportResult,
} from './report-failure.js';
export { createFailureReporter, isNoticeKey, NOTICE_KEY_PREFIX, noticeKey } from './report-failure.js';
export type { RetryOptions, SendDecision } from './retry-policy.js';
export { backoffDelay, DEFAULT_RETRY, decideAfterError } from './retry-policy.js';
