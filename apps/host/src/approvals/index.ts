export type { Approval, ApprovalKind, ApprovalStatus, CardDestination } from './approval-store.js';
export { APPROVAL_STATUSES, ApprovalStore } from './approval-store.js';
export type { Actor, ApprovalsOptions, AskInput, QuestionOutcome } from './approvals.js';
export { ACCESS_REQUEST_TTL_MS, Approvals } from './approvals.js';
export { encodeCardData, parseCardData } from './card-data.js';
