/** The inputs of the task form and its preview box; every input labelled, errors tied to their input. */
import type { ComponentChildren } from 'preact';
import { formatTime } from '../format.js';
import {
  type FieldError,
  type ScheduleKind,
  type TaskDraft,
  type TaskField,
  VALUE_HINT,
  VALUE_LABEL,
} from '../task-model.js';

export type PreviewState =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'ok'; nextRuns: number[]; timezone: string }
  | { state: 'error'; field: TaskField | null; message: string };

const KINDS: ScheduleKind[] = ['cron', 'interval', 'once'];

function Field(props: {
  id: string;
  label: string;
  field: TaskField;
  error: FieldError | null;
  hint?: string;
  children: (describedBy: string | undefined, invalid: boolean) => ComponentChildren;
}) {
  const mine = props.error && props.error.field === props.field ? props.error : null;
  const ids = [mine ? `${props.id}-error` : '', props.hint ? `${props.id}-hint` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children(ids || undefined, mine !== null)}
      {props.hint && (
        <span id={`${props.id}-hint`} class="muted small">
          {props.hint}
        </span>
      )}
      {mine && (
        <p id={`${props.id}-error`} class="error-text" data-testid={`${props.id}-error`}>
          {mine.message}
        </p>
      )}
    </div>
  );
}

interface FieldsProps {
  draft: TaskDraft;
  folders: string[];
  zones: string[];
  error: FieldError | null;
  onChange: (change: Partial<TaskDraft>) => void;
}

export function TaskFormFields(props: FieldsProps) {
  const { draft, error, onChange } = props;
  return (
    <>
      <Field id="task-folder" label="Group" field="folder" error={error}>
        {(describedBy, invalid) => (
          <select
            id="task-folder"
            value={draft.folder}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            onChange={(e) => onChange({ folder: e.currentTarget.value })}
          >
            {props.folders.length === 0 && <option value="">(no groups)</option>}
            {props.folders.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id="task-prompt" label="Prompt" field="prompt" error={error}>
        {(describedBy, invalid) => (
          <textarea
            id="task-prompt"
            rows={3}
            value={draft.prompt}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            onInput={(e) => onChange({ prompt: e.currentTarget.value })}
          />
        )}
      </Field>
      <ScheduleFields {...props} />
      {error && error.field === null && (
        <p class="error-text" data-testid="task-error">
          {error.message}
        </p>
      )}
    </>
  );
}

/** Kind (radio buttons), the value for that kind, and the time zone it is read in. */
function ScheduleFields({ draft, zones, error, onChange }: FieldsProps) {
  return (
    <>
      <fieldset class="kinds">
        <legend>Schedule</legend>
        {KINDS.map((kind) => (
          <label key={kind} class="inline">
            <input
              type="radio"
              name="task-kind"
              value={kind}
              checked={draft.kind === kind}
              onChange={() => onChange({ kind, value: '' })}
            />{' '}
            {kind}
          </label>
        ))}
      </fieldset>
      <Field
        id="task-schedule"
        label={VALUE_LABEL[draft.kind]}
        field="schedule"
        error={error}
        hint={VALUE_HINT[draft.kind]}
      >
        {(describedBy, invalid) => {
          const common = {
            id: 'task-schedule',
            value: draft.value,
            'aria-describedby': describedBy,
            'aria-invalid': invalid || undefined,
            onInput: (e: { currentTarget: HTMLInputElement }) => onChange({ value: e.currentTarget.value }),
          };
          return draft.kind === 'once' ? (
            <input type="datetime-local" {...common} />
          ) : (
            <input type="text" autocomplete="off" spellcheck={false} {...common} />
          );
        }}
      </Field>
      <Field id="task-timezone" label="Time zone" field="timezone" error={error}>
        {(describedBy, invalid) => (
          <select
            id="task-timezone"
            value={draft.timezone}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            onChange={(e) => onChange({ timezone: e.currentTarget.value })}
          >
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        )}
      </Field>
    </>
  );
}

export function PreviewBox({ preview }: { preview: PreviewState }) {
  return (
    <div class="preview" data-testid="task-preview" aria-live="polite" data-state={preview.state}>
      <h3>Next runs</h3>
      {preview.state === 'idle' && (
        <p class="muted">Fill in the group, prompt and schedule to see the next runs.</p>
      )}
      {preview.state === 'loading' && <p class="muted">Checking…</p>}
      {preview.state === 'error' && <p class="muted">No preview: the schedule has a problem (see above).</p>}
      {preview.state === 'ok' && preview.nextRuns.length === 0 && <p class="muted">No future run.</p>}
      {preview.state === 'ok' && preview.nextRuns.length > 0 && (
        <ol>
          {preview.nextRuns.map((t) => (
            <li key={t}>
              {formatTime(t, preview.timezone)} <span class="muted small">({preview.timezone})</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
