/**
 * Tasks with their status and next runs; Pause / Resume / Cancel; each task's run history on demand. Live:
 * `task` events (and a task run's `run-end`) refetch the list and the open histories.
 */
import { useState } from 'preact/hooks';
import type { TaskAction } from '../api.js';
import { useApp, useRefetchOn } from '../context.js';
import { describeSchedule, formatTime, truncate } from '../format.js';
import type { TaskView } from '../types.js';
import { Empty, LoadState, StateBadge, TableRegion } from '../ui.js';
import { asApiError, useData } from '../use-data.js';
import { RunHistory } from './run-history.js';

export function TaskList(props: { folder?: string; reloadKey?: number }) {
  const { api } = useApp();
  const tasks = useData(() => api.tasks(props.folder), [props.folder, props.reloadKey]);
  useRefetchOn(
    (e) =>
      (e.type === 'task' || (e.type === 'run-end' && !!e.taskId)) &&
      (!props.folder || e.folder === props.folder),
    tasks.reload,
  );
  const list = tasks.data?.tasks ?? [];
  return (
    <>
      <LoadState loading={tasks.loading} error={tasks.error} hasData={!!tasks.data} what="the tasks" />
      {tasks.data && list.length === 0 && <Empty>No tasks.</Empty>}
      {list.length > 0 && (
        <TableRegion label={props.folder ? `Tasks of ${props.folder}` : 'Tasks'} testId="task-table">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Schedule</th>
              <th scope="col">Status</th>
              <th scope="col">Next runs</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          {list.map((task) => (
            <TaskRows key={task.id} task={task} onChanged={tasks.reload} />
          ))}
        </TableRegion>
      )}
    </>
  );
}

const ACTIONS: Record<TaskView['status'], TaskAction[]> = {
  active: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
  completed: [],
  cancelled: [],
};

function TaskRows(props: { task: TaskView; onChanged: () => void }) {
  const { task } = props;
  const [open, setOpen] = useState(false);
  const short = task.id.slice(0, 8);
  const nextRuns = task.nextRuns ?? (task.nextRun !== null ? [task.nextRun] : []);
  return (
    <tbody>
      <tr data-testid="task-row" data-task-id={task.id} data-status={task.status}>
        <th scope="row">
          <span class="prompt">{truncate(task.prompt, 120)}</span>
          <div class="muted small">
            {task.folder} · <code>{short}</code> · {task.contextMode}
          </div>
        </th>
        <td>
          {describeSchedule(task.schedule)} <span class="muted small">({task.timezone})</span>
        </td>
        <td data-testid="task-status">
          <StateBadge state={task.status} good={task.status === 'active'} />
        </td>
        <td data-testid="task-next-runs">
          {nextRuns.length === 0 ? (
            '—'
          ) : (
            <ul class="plain">
              {nextRuns.map((t) => (
                <li key={t} class="nowrap">
                  {formatTime(t, task.timezone)}
                </li>
              ))}
            </ul>
          )}
        </td>
        <td>
          <TaskActions task={task} open={open} onToggle={() => setOpen(!open)} onChanged={props.onChanged} />
        </td>
      </tr>
      {open && (
        <tr id={`runs-${task.id}`}>
          <td colSpan={5}>
            <RunHistory taskId={task.id} />
          </td>
        </tr>
      )}
    </tbody>
  );
}

function TaskActions(props: { task: TaskView; open: boolean; onToggle: () => void; onChanged: () => void }) {
  const { api, notify } = useApp();
  const [busy, setBusy] = useState(false);
  const { task } = props;
  const short = task.id.slice(0, 8);
  const act = (action: TaskAction) => {
    setBusy(true);
    api.taskAction(task.id, action).then(
      (updated) => {
        setBusy(false);
        notify(`Task ${short}: ${updated.status}.`);
        props.onChanged();
      },
      (failure: unknown) => {
        setBusy(false);
        notify(`Could not ${action} task ${short}: ${asApiError(failure).message}`);
      },
    );
  };
  return (
    <div class="actions">
      {ACTIONS[task.status].map((action) => (
        <button
          type="button"
          key={action}
          disabled={busy}
          class={action === 'cancel' ? 'danger' : ''}
          aria-label={`${capital(action)} task ${short}`}
          onClick={() => act(action)}
        >
          {capital(action)}
        </button>
      ))}
      <button
        type="button"
        aria-expanded={props.open}
        aria-controls={`runs-${task.id}`}
        aria-label={`Runs of task ${short}`}
        data-testid="task-runs-toggle"
        onClick={props.onToggle}
      >
        Runs
      </button>
    </div>
  );
}

function capital(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}
