/**
 * Create a task. While the form is filled in, `POST /api/v1/tasks?dryRun=1` (debounced) previews the next 3 run
 * times or says what is wrong, next to the input it concerns (aria-describedby); nothing is stored until "Add".
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp } from '../context.js';
import { debounce } from '../events.js';
import { browserTimeZone, timeZoneOptions } from '../format.js';
import { draftToInput, type FieldError, type TaskDraft, taskFieldOf } from '../task-model.js';
import { asApiError, useData } from '../use-data.js';
import { PreviewBox, type PreviewState, TaskFormFields } from './task-form-fields.js';

function usePreview(draft: TaskDraft): PreviewState {
  const { api } = useApp();
  const [preview, setPreview] = useState<PreviewState>({ state: 'idle' });
  const seq = useRef(0);
  const run = useMemo(
    () =>
      debounce((current: TaskDraft) => {
        const mine = ++seq.current;
        const checked = draftToInput(current);
        if (!checked.ok) {
          const typed = checked.field === 'schedule' && current.value.trim() !== '';
          setPreview(
            typed ? { state: 'error', field: 'schedule', message: checked.message } : { state: 'idle' },
          );
          return;
        }
        setPreview({ state: 'loading' });
        api.addTask(checked.input, true).then(
          (task) =>
            mine === seq.current &&
            setPreview({ state: 'ok', nextRuns: task.nextRuns ?? [], timezone: task.timezone }),
          (failure: unknown) => {
            const error = asApiError(failure);
            if (mine === seq.current)
              setPreview({ state: 'error', field: taskFieldOf(error.field), message: error.message });
          },
        );
      }, 300),
    [api],
  );
  useEffect(() => {
    run(draft);
    return () => run.cancel();
  }, [draft, run]);
  return preview;
}

export function TaskForm(props: { onAdded: () => void }) {
  const { api, notify } = useApp();
  const groups = useData(() => api.groups(), []);
  const zones = useMemo(() => timeZoneOptions(browserTimeZone()), []);
  const [draft, setDraft] = useState<TaskDraft>({
    folder: '',
    prompt: '',
    kind: 'cron',
    value: '',
    timezone: browserTimeZone(),
  });
  const [submitError, setSubmitError] = useState<FieldError | null>(null);
  const preview = usePreview(draft);
  const folders = groups.data?.groups.map((g) => g.folder) ?? [];
  useEffect(() => {
    if (draft.folder === '' && folders[0]) setDraft((d) => ({ ...d, folder: folders[0]! }));
  }, [draft.folder, folders[0]]);

  const submit = (event: Event) => {
    event.preventDefault();
    const checked = draftToInput(draft);
    if (!checked.ok) {
      setSubmitError({ field: checked.field, message: checked.message });
      return;
    }
    api.addTask(checked.input).then(
      (task) => {
        setSubmitError(null);
        setDraft((d) => ({ ...d, prompt: '', value: '' }));
        notify(`Task ${task.id} added for ${task.folder}.`);
        props.onAdded();
      },
      (failure: unknown) => {
        const error = asApiError(failure);
        setSubmitError({ field: taskFieldOf(error.field), message: error.message });
        notify(`Task not added: ${error.message}`);
      },
    );
  };

  const previewError = preview.state === 'error' ? { field: preview.field, message: preview.message } : null;
  const error = submitError ?? previewError;
  const update = (change: Partial<TaskDraft>) => {
    setSubmitError(null);
    setDraft((d) => ({ ...d, ...change }));
  };
  return (
    <form class="task-form" data-testid="task-form" aria-labelledby="new-task-title" onSubmit={submit}>
      <h2 id="new-task-title">New task</h2>
      <TaskFormFields draft={draft} folders={folders} zones={zones} error={error} onChange={update} />
      <PreviewBox preview={preview} />
      <button type="submit">Add task</button>
    </form>
  );
}
