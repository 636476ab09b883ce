/**
 * People: the approvals waiting for a decision (access requests: Approve / Reject; an agent's question: its
 * options), the users and their roles, and the audit log. Live: `approval` events refetch.
 */
import { useState } from 'preact/hooks';
import type { ApprovalDecision } from '../api.js';
import { useApp, useRefetchOn } from '../context.js';
import { formatTime, truncate } from '../format.js';
import type { ApprovalView, AuditView, UserView } from '../types.js';
import { Empty, LoadState, Page, TableRegion } from '../ui.js';
import { asApiError, useData } from '../use-data.js';

export function PeoplePage() {
  return (
    <Page title="People" testId="people-page">
      <h2>Waiting for a decision</h2>
      <Approvals />
      <h2>Users and roles</h2>
      <Users />
      <h2>Audit log</h2>
      <Audit />
    </Page>
  );
}

function Approvals() {
  const { api } = useApp();
  const approvals = useData(() => api.approvals(), []);
  useRefetchOn((e) => e.type === 'approval', approvals.reload);
  const list = approvals.data?.approvals ?? [];
  return (
    <>
      <LoadState
        loading={approvals.loading}
        error={approvals.error}
        hasData={!!approvals.data}
        what="the approvals"
      />
      {approvals.data && list.length === 0 && <Empty>Nothing is waiting.</Empty>}
      {list.length > 0 && (
        <ul class="cards" data-testid="approvals">
          {list.map((a) => (
            <ApprovalItem key={a.id} approval={a} onDecided={approvals.reload} />
          ))}
        </ul>
      )}
    </>
  );
}

function decisionLabel(decision: ApprovalDecision, approval: ApprovalView): string {
  if (decision === 'approve') return 'approved';
  if (decision === 'reject') return 'rejected';
  return `answered "${approval.options[decision.option - 1] ?? decision.option}"`;
}

function ApprovalItem(props: { approval: ApprovalView; onDecided: () => void }) {
  const { api, notify } = useApp();
  const [busy, setBusy] = useState(false);
  const a = props.approval;
  const decide = (decision: ApprovalDecision) => {
    setBusy(true);
    api.decide(a.id, decision).then(
      () => {
        setBusy(false);
        notify(`Request ${decisionLabel(decision, a)}.`);
        props.onDecided();
      },
      (failure: unknown) => {
        setBusy(false);
        notify(`Could not decide: ${asApiError(failure).message}`);
      },
    );
  };
  const titleId = `approval-${a.id}`;
  return (
    <li
      class="card"
      data-testid="approval-row"
      data-approval-id={a.id}
      data-kind={a.kind}
      aria-labelledby={titleId}
    >
      <p id={titleId}>
        <strong>{a.kind === 'access-request' ? 'Access request' : 'Question'}</strong>
        {a.group && ` in ${a.group}`}: {a.question}
      </p>
      <p class="muted small">
        {a.subject ? `From ${a.subject}. ` : ''}Asked by {a.requestedBy} at {formatTime(a.createdAt)}; expires{' '}
        {formatTime(a.expiresAt)}.
      </p>
      <div class="actions">
        {a.kind === 'access-request' ? (
          <>
            <button
              type="button"
              disabled={busy}
              aria-describedby={titleId}
              onClick={() => decide('approve')}
            >
              Approve
            </button>
            <button
              type="button"
              class="danger"
              disabled={busy}
              aria-describedby={titleId}
              onClick={() => decide('reject')}
            >
              Reject
            </button>
          </>
        ) : (
          a.options.map((option, i) => (
            <button
              type="button"
              key={`${i}:${option}`}
              disabled={busy}
              aria-describedby={titleId}
              onClick={() => decide({ option: i + 1 })}
            >
              {option}
            </button>
          ))
        )}
      </div>
    </li>
  );
}

function describeRole(grant: UserView['roles'][number]): string {
  if (grant.role === 'owner') return 'owner';
  return grant.group === null ? `${grant.role} (global)` : `${grant.role} of ${grant.group}`;
}

function Users() {
  const { api } = useApp();
  const users = useData(() => api.users(), []);
  useRefetchOn((e) => e.type === 'approval', users.reload);
  const list = users.data?.users ?? [];
  return (
    <>
      <LoadState loading={users.loading} error={users.error} hasData={!!users.data} what="the users" />
      {users.data && list.length === 0 && <Empty>No users yet: add one with `nanoclaw users add`.</Empty>}
      {list.length > 0 && (
        <TableRegion label="Users and roles" testId="users-table">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Name</th>
              <th scope="col">Roles</th>
              <th scope="col">Linked ids</th>
            </tr>
          </thead>
          <tbody>
            {list.map((u) => (
              <tr key={u.id} data-testid="user-row" data-user-id={u.id}>
                <th scope="row">
                  <code>{u.id}</code>
                </th>
                <td>{u.name ?? '—'}</td>
                <td>{u.roles.length === 0 ? '—' : u.roles.map(describeRole).join(', ')}</td>
                <td>{u.linked.filter((id) => id !== u.id).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </TableRegion>
      )}
    </>
  );
}

function detailText(entry: AuditView): string {
  const text = Object.entries(entry.detail)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');
  return truncate(text, 200);
}

function Audit() {
  const { api } = useApp();
  const audit = useData(() => api.audit(100), []);
  useRefetchOn((e) => e.type === 'approval', audit.reload);
  const list = audit.data?.entries ?? [];
  return (
    <>
      <LoadState loading={audit.loading} error={audit.error} hasData={!!audit.data} what="the audit log" />
      {audit.data && list.length === 0 && <Empty>The audit log is empty.</Empty>}
      {list.length > 0 && (
        <TableRegion label="Audit log, newest first" testId="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Group</th>
              <th scope="col">Actor</th>
              <th scope="col">Subject</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {list.map((e) => (
              <tr key={e.id} data-testid="audit-row">
                <th scope="row">{formatTime(e.at)}</th>
                <td>
                  {e.kind}: {e.action}
                </td>
                <td>{e.group ?? '—'}</td>
                <td>{e.actor ?? '—'}</td>
                <td>{e.subject ?? '—'}</td>
                <td>{detailText(e)}</td>
              </tr>
            ))}
          </tbody>
        </TableRegion>
      )}
    </>
  );
}
