/**
 * The live sandboxes (`GET /api/v1/sandboxes`, refetched on `sandbox` events), each with a Kill button that
 * asks for confirmation in place before `POST /api/v1/sandboxes/:id/kill`.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { useApp, useRefetchOn } from '../context.js';
import { formatTime } from '../format.js';
import type { SandboxView } from '../types.js';
import { Empty, LoadState, Page, StateBadge, TableRegion } from '../ui.js';
import { asApiError, useData } from '../use-data.js';

export function SandboxesPage() {
  const { api } = useApp();
  const sandboxes = useData(() => api.sandboxes(), []);
  useRefetchOn((e) => e.type === 'sandbox', sandboxes.reload);
  const list = sandboxes.data?.sandboxes ?? [];
  return (
    <Page title="Sandboxes" testId="sandboxes-page">
      <p class="muted">
        One sandbox per live session. A killed sandbox is started again by the next message.
      </p>
      <LoadState
        loading={sandboxes.loading}
        error={sandboxes.error}
        hasData={!!sandboxes.data}
        what="the sandboxes"
      />
      {sandboxes.data && list.length === 0 && <Empty>No sandbox is running.</Empty>}
      {list.length > 0 && (
        <TableRegion label="Sandboxes" testId="sandbox-table">
          <thead>
            <tr>
              <th scope="col">Sandbox</th>
              <th scope="col">Group</th>
              <th scope="col">Provider</th>
              <th scope="col">State</th>
              <th scope="col">Started</th>
              <th scope="col">Last active</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <SandboxRow key={s.id} sandbox={s} onKilled={sandboxes.reload} />
            ))}
          </tbody>
        </TableRegion>
      )}
    </Page>
  );
}

function SandboxRow(props: { sandbox: SandboxView; onKilled: () => void }) {
  const s = props.sandbox;
  return (
    <tr data-testid="sandbox-row" data-sandbox-id={s.id} data-folder={s.folder} data-state={s.state}>
      <th scope="row">
        <code>{s.id}</code>
        <div class="muted small">{s.session}</div>
      </th>
      <td>{s.folder}</td>
      <td>
        {s.provider} <span class="muted small">on {s.runtime}</span>
      </td>
      <td>
        <StateBadge state={s.state} good={s.state === 'idle'} />
      </td>
      <td>{formatTime(s.startedAt)}</td>
      <td>{formatTime(s.lastActiveAt)}</td>
      <td>
        <KillButton sandbox={s} onKilled={props.onKilled} />
      </td>
    </tr>
  );
}

/** Kill → "Kill sandbox X?" with Confirm kill / Keep it; focus moves to the confirm step and back. */
function KillButton(props: { sandbox: SandboxView; onKilled: () => void }) {
  const { api, notify } = useApp();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const killRef = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  // Layout effect: focus moves in the same frame the buttons swap, so a quick second key press is not lost.
  useLayoutEffect(() => {
    if (confirming) confirmRef.current?.focus();
    else if (wasConfirming.current) killRef.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);
  const id = props.sandbox.id;
  const kill = () => {
    setBusy(true);
    api.killSandbox(id).then(
      () => {
        setBusy(false);
        setConfirming(false);
        notify(`Sandbox ${id} killed.`);
        props.onKilled();
      },
      (failure: unknown) => {
        setBusy(false);
        setConfirming(false);
        notify(`Could not kill sandbox ${id}: ${asApiError(failure).message}`);
      },
    );
  };
  if (!confirming) {
    return (
      <button
        type="button"
        class="danger"
        ref={killRef}
        aria-label={`Kill sandbox ${id}`}
        data-testid="sandbox-kill"
        onClick={() => setConfirming(true)}
      >
        Kill
      </button>
    );
  }
  return (
    <fieldset class="confirm" data-testid="sandbox-kill-confirmation">
      <legend>Kill {props.sandbox.folder}'s sandbox? Its current turn ends.</legend>
      <button
        type="button"
        class="danger"
        ref={confirmRef}
        disabled={busy}
        data-testid="sandbox-kill-confirm"
        onClick={kill}
      >
        Confirm kill
      </button>
      <button type="button" data-testid="sandbox-kill-cancel" onClick={() => setConfirming(false)}>
        Keep it
      </button>
    </fieldset>
  );
}
