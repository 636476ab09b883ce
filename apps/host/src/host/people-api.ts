import type { Approval } from '../approvals/index.js';
import type { GroupRegistry, RegisteredGroup } from '../groups/index.js';
import {
  type ApprovalView,
  type AuditView,
  type GroupView,
  type HostApi,
  HostApiError,
} from '../host-api.js';
import { PeopleError } from '../people/index.js';
import type { PeopleParts } from './compose-people.js';

/** The host API's users, access, approvals and audit methods. */
export type PeopleApi = Pick<
  HostApi,
  | 'listUsers'
  | 'addUser'
  | 'removeUser'
  | 'linkUsers'
  | 'setGroupAccess'
  | 'listApprovals'
  | 'getApproval'
  | 'decideApproval'
  | 'listAudit'
>;

export interface PeopleApiDeps {
  parts: Pick<PeopleParts, 'people' | 'audit' | 'approvals'>;
  registry: Pick<GroupRegistry, 'get' | 'getById' | 'setAccess'>;
  groupView: (group: RegisteredGroup) => Promise<GroupView>;
}

/** Why `request` needs an owner first, and the command that fixes it. */
export const NO_OWNER_MESSAGE =
  'no owner is set: an access request needs someone to approve it. Add one first: nanoclaw users add <platform:id> --role owner';

/** Users and roles, each group's access, approvals and the audit log, as the HTTP API and CLI see them. */
export function createPeopleApi(deps: PeopleApiDeps): PeopleApi {
  const { people, audit, approvals } = deps.parts;
  const groupOf = async (folder: string): Promise<RegisteredGroup> => {
    const group = await deps.registry.get(folder);
    if (!group) throw new HostApiError('not-found', `no group "${folder}"`);
    return group;
  };
  const approvalView = async (approval: Approval, folders = folderCache(deps.registry)) =>
    toApprovalView(approval, await folders.of(approval.groupId, approval.payload.folder));
  return {
    listUsers: () => people.list(),
    addUser: (input, actor) => people.add({ ...input, actor }),
    removeUser: (input, actor) => people.remove({ ...input, actor }),
    linkUsers: (a, b, actor) => people.link(a, b, actor),
    async setGroupAccess(folder, access, actor) {
      const before = await groupOf(folder);
      if (access === 'request' && !(await people.hasOwner()))
        throw new PeopleError('conflict', NO_OWNER_MESSAGE);
      const group = await deps.registry.setAccess(folder, access);
      await audit.record({
        kind: 'access',
        action: 'set',
        groupId: group.id,
        actor,
        subject: group.folder,
        detail: { from: before.access, to: access },
      });
      return deps.groupView(group);
    },
    async listApprovals(filter = {}) {
      const groupId = filter.folder === undefined ? undefined : (await groupOf(filter.folder)).id;
      const list = await approvals.store.list({
        ...(filter.status === undefined ? {} : { status: filter.status }),
        ...(groupId === undefined ? {} : { groupId }),
      });
      const folders = folderCache(deps.registry);
      return Promise.all(list.map((approval) => approvalView(approval, folders)));
    },
    async getApproval(id) {
      const approval = await approvals.store.get(id);
      if (!approval) throw new PeopleError('not-found', `no approval ${id} (see nanoclaw approvals list)`);
      return approvalView(approval);
    },
    decideApproval: async (id, choice, actor) => approvalView(await approvals.decide(id, choice, actor)),
    async listAudit(query = {}) {
      const groupId = query.folder === undefined ? undefined : (await groupOf(query.folder)).id;
      const entries = await audit.list({
        ...(groupId === undefined ? {} : { groupId }),
        ...(query.since === undefined ? {} : { since: query.since }),
        ...(query.limit === undefined ? {} : { limit: query.limit }),
      });
      const folders = folderCache(deps.registry);
      return Promise.all(
        entries.map(
          async ({ groupId: id, ...entry }): Promise<AuditView> => ({
            ...entry,
            group: await folders.of(id),
          }),
        ),
      );
    },
  };
}

/** Group id → folder, looked up once per id in one listing (a removed group: the folder it had, else its id). */
function folderCache(registry: Pick<GroupRegistry, 'getById'>) {
  const known = new Map<string, string>();
  return {
    async of(groupId: string | null, fallback?: unknown): Promise<string | null> {
      if (groupId === null) return null;
      let folder = known.get(groupId);
      if (folder === undefined) {
        folder =
          (await registry.getById(groupId))?.folder ?? (typeof fallback === 'string' ? fallback : groupId);
        known.set(groupId, folder);
      }
      return folder;
    },
  };
}

function toApprovalView(approval: Approval, group: string | null): ApprovalView {
  return {
    id: approval.id,
    kind: approval.kind,
    group,
    question: approval.question,
    options: approval.options,
    subject: approval.subject,
    requestedBy: approval.requestedBy,
    askedUser: approval.askedUser,
    status: approval.status,
    createdAt: approval.createdAt,
    expiresAt: approval.expiresAt,
    decidedAt: approval.decidedAt,
    decidedBy: approval.decidedBy,
    decision: approval.decision,
  };
}
