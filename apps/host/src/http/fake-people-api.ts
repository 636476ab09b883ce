import { NO_OWNER_MESSAGE, type PeopleApi } from '../host/people-api.js';
import type { ApprovalView, AuditView, GroupView, UserView } from '../host-api.js';
import { HostApiError } from '../host-api.js';
import { PeopleError } from '../people/index.js';

export interface FakePeopleApi extends PeopleApi {
  readonly users: UserView[];
  readonly approvals: ApprovalView[];
  readonly audit: AuditView[];
  /** The actor of every change, in order. */
  readonly actors: string[];
}

/** A pending approval for tests: an access request of `telegram:42` to `family` unless overridden. */
export function fakeApproval(id: string, overrides: Partial<ApprovalView> = {}): ApprovalView {
  return {
    id,
    kind: 'access-request',
    group: 'family',
    question: '🔐 telegram:42 wants to talk to the agent of "family"\n“hello”',
    options: ['Approve', 'Reject'],
    subject: 'telegram:42',
    requestedBy: 'telegram:42',
    askedUser: null,
    status: 'pending',
    createdAt: Date.UTC(2030, 0, 1, 9),
    expiresAt: Date.UTC(2030, 0, 2, 9),
    decidedAt: null,
    decidedBy: null,
    decision: null,
    ...overrides,
  };
}

interface FakeState {
  groups: GroupView[];
  users: UserView[];
  approvals: ApprovalView[];
  audit: AuditView[];
  actors: string[];
}

/** Users, approvals and the audit log in memory, over the fake host's groups. */
export function createFakePeopleApi(groups: GroupView[]): FakePeopleApi {
  const state: FakeState = { groups, users: [], approvals: [], audit: [], actors: [] };
  return {
    users: state.users,
    approvals: state.approvals,
    audit: state.audit,
    actors: state.actors,
    ...fakeUsers(state),
    ...fakeApprovals(state),
    async setGroupAccess(folder, access, actor) {
      const group = findGroup(groups, folder);
      if (access === 'request' && !state.users.some((u) => u.roles.some((r) => r.role === 'owner')))
        throw new PeopleError('conflict', NO_OWNER_MESSAGE);
      state.actors.push(actor);
      group.access = access;
      return group;
    },
    async listAudit(query = {}) {
      if (query.folder !== undefined) findGroup(groups, query.folder);
      return state.audit
        .filter(
          (e) =>
            (query.folder === undefined || e.group === query.folder) &&
            (query.since === undefined || e.at >= query.since),
        )
        .slice(0, query.limit ?? 200);
    },
  };
}

function findGroup(groups: GroupView[], folder: string): GroupView {
  const group = groups.find((g) => g.folder === folder);
  if (!group) throw new HostApiError('not-found', `no group "${folder}"`);
  return group;
}

function fakeUsers({
  groups,
  users,
  actors,
}: FakeState): Pick<PeopleApi, 'listUsers' | 'addUser' | 'removeUser' | 'linkUsers'> {
  /** The user with this id, added (without roles) if new. */
  const userOf = (id: string): UserView => {
    const found = users.find((u) => u.id === id);
    if (found) return found;
    const [platform = '', ...rest] = id.split(':');
    const user = { id, platform, platformUserId: rest.join(':'), name: null, linked: [id], roles: [] };
    users.push(user);
    return user;
  };
  return {
    async listUsers() {
      return users;
    },
    async addUser(input, actor) {
      if (input.group !== undefined) findGroup(groups, input.group);
      actors.push(actor);
      const user = userOf(input.userId);
      if (input.name !== undefined) user.name = input.name;
      user.roles.push({ role: input.role, group: input.group ?? null });
      return user;
    },
    async removeUser(input, actor) {
      const user = users.find((u) => u.id === input.userId);
      if (!user) throw new PeopleError('not-found', `no user ${input.userId} (see nanoclaw users list)`);
      actors.push(actor);
      if (input.role === undefined) {
        users.splice(users.indexOf(user), 1);
        return { removed: 1 };
      }
      const before = user.roles.length;
      user.roles = user.roles.filter((r) => r.role !== input.role || r.group !== (input.group ?? null));
      return { removed: before - user.roles.length };
    },
    async linkUsers(a, b, actor) {
      actors.push(actor);
      const both = [a, b].map(userOf);
      for (const user of both) user.linked = [a, b].sort();
      return both;
    },
  };
}

function fakeApprovals({
  groups,
  approvals,
  actors,
}: FakeState): Pick<PeopleApi, 'listApprovals' | 'getApproval' | 'decideApproval'> {
  const findApproval = (id: string) => {
    const approval = approvals.find((a) => a.id === id);
    if (!approval) throw new PeopleError('not-found', `no approval ${id} (see nanoclaw approvals list)`);
    return approval;
  };
  return {
    async listApprovals(filter = {}) {
      return approvals.filter(
        (a) =>
          (filter.status === undefined || a.status === filter.status) &&
          (filter.folder === undefined || a.group === findGroup(groups, filter.folder).folder),
      );
    },
    async getApproval(id) {
      return findApproval(id);
    },
    async decideApproval(id, choice, actor) {
      const approval = findApproval(id);
      if (approval.status !== 'pending')
        throw new PeopleError(
          'conflict',
          `Request ${id} was already ${approval.status} by ${approval.decidedBy} at ${new Date(approval.decidedAt ?? 0).toISOString()}; nothing changed.`,
        );
      if (typeof choice !== 'number' && approval.kind === 'question')
        throw new PeopleError('invalid', `${id} is a question: answer it with --option <n>`);
      actors.push(actor);
      const option = typeof choice === 'number' ? choice : choice === 'approve' ? 1 : 2;
      approval.status = approval.kind === 'question' ? 'answered' : option === 1 ? 'approved' : 'rejected';
      approval.decidedBy = actor;
      approval.decidedAt = Date.UTC(2030, 0, 1, 10);
      approval.decision = approval.options[option - 1] ?? null;
      return approval;
    },
  };
}
