/** One task's runs (`GET /api/v1/runs?task=`): when, status, duration, result, error. */
import { useApp, useRefetchOn } from '../context.js';
import { formatDuration, formatTime, truncate } from '../format.js';
import { Empty, LoadState, StateBadge, TableRegion } from '../ui.js';
import { useData } from '../use-data.js';

export function RunHistory(props: { taskId: string }) {
  const { api } = useApp();
  const runs = useData(() => api.runs(props.taskId), [props.taskId]);
  useRefetchOn(
    (e) =>
      (e.type === 'task' && e.taskId === props.taskId) || (e.type === 'run-end' && e.taskId === props.taskId),
    runs.reload,
  );
  const list = runs.data?.runs ?? [];
  return (
    <div data-testid="run-history" data-task-id={props.taskId}>
      <LoadState loading={runs.loading} error={runs.error} hasData={!!runs.data} what="the runs" />
      {runs.data && list.length === 0 && <Empty>No runs yet.</Empty>}
      {list.length > 0 && (
        <TableRegion label={`Runs of task ${props.taskId.slice(0, 8)}`}>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Status</th>
              <th scope="col">Duration</th>
              <th scope="col">Result</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {list.map((run) => (
              <tr key={run.id} data-testid="run-row" data-status={run.status}>
                <th scope="row">
                  {formatTime(run.startedAt)}
                  {run.late && <span class="muted small"> (late)</span>}
                </th>
                <td>
                  <StateBadge
                    state={run.status}
                    good={run.status === 'succeeded'}
                    bad={run.status === 'failed'}
                  />
                </td>
                <td>
                  {formatDuration(run.durationMs ?? (run.finishedAt ? run.finishedAt - run.startedAt : null))}
                </td>
                <td>{run.resultSummary ? truncate(run.resultSummary, 300) : '—'}</td>
                <td class={run.error ? 'error-text' : ''}>{run.error ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </TableRegion>
      )}
    </div>
  );
}
