export type { AuditEntry, AuditInput, AuditKind, AuditLog, AuditQuery } from './audit-log.js';
export { createAuditLog } from './audit-log.js';
export type {
  AddUserInput,
  People,
  PeopleOptions,
  RemoveUserInput,
  Role,
  RoleGrant,
  UserView,
} from './people.js';
export { createPeople, describeGrant, ROLES } from './people.js';
export type { PeopleErrorCode } from './people-error.js';
export { isPeopleError, PeopleError } from './people-error.js';
export type { UserId } from './user-id.js';
export { parseUserId, senderUserId } from './user-id.js';
