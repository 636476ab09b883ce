/** One line on the group page: its provider and where that came from, sandbox, queue and problems; live. */
import { useApp, useRefetchOn } from '../context.js';
import { formatTime } from '../format.js';
import { useData } from '../use-data.js';

export function GroupSummary(props: { folder: string }) {
  const { api } = useApp();
  const status = useData(() => api.status(), [props.folder]);
  useRefetchOn((e) => !('folder' in e) || e.folder === props.folder, status.reload);
  if (status.error)
    return <p class="error-text">Could not load the group's status: {status.error.message}</p>;
  if (!status.data) return null;
  const group = status.data.groups.find((g) => g.folder === props.folder);
  if (!group) return <p class="error-text">No group "{props.folder}" on this host.</p>;
  return (
    <div data-testid="group-summary">
      <p>
        {group.name !== group.folder && <strong>{group.name}. </strong>}
        Provider {group.provider.id} <span class="muted">(from {group.provider.source})</span> · sandbox{' '}
        {group.sandbox ?? 'unknown'} · {group.queued} queued, {group.running} running · trigger{' '}
        <code>{group.trigger}</code>
      </p>
      {group.configError && <p class="error-text">Config error: {group.configError}</p>}
      {group.lastError && (
        <p class="error-text">
          Last error ({formatTime(group.lastError.at)}): {group.lastError.message}
        </p>
      )}
    </div>
  );
}
