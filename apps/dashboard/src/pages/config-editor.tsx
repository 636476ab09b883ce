/**
 * The group's `<folder>.container.json` (`GET/PUT /api/v1/groups/:folder/config`): a JSON text area plus fields
 * for provider, model and skills that edit the same JSON. A refused save shows the host's message next to the
 * key it names (`field`), linked to that input with aria-describedby.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  FRIENDLY_KEYS,
  type FriendlyKey,
  formatConfig,
  friendlyKeyOf,
  friendlyValue,
  parseConfigText,
  setFriendlyValue,
} from '../config-model.js';
import { useApp } from '../context.js';
import { LoadState } from '../ui.js';
import { useData } from '../use-data.js';

interface FieldError {
  field: string | null;
  message: string;
}

const HINTS: Record<FriendlyKey, string> = {
  provider: 'claude, codex, opencode or mock; empty: the host default',
  model: "the provider's model name; empty: the provider default",
  skills: '"all", "none", or names separated by commas',
};

export function ConfigEditor(props: { folder: string }) {
  const { api, notify } = useApp();
  const loaded = useData(() => api.config(props.folder), [props.folder]);
  const [text, setText] = useState('');
  const [error, setError] = useState<FieldError | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (loaded.data) setText(formatConfig(loaded.data.config));
  }, [loaded.data]);
  const parsed = parseConfigText(text);

  const save = (event: Event) => {
    event.preventDefault();
    if (!parsed.ok) {
      setError({ field: null, message: parsed.error });
      return;
    }
    setSaving(true);
    api.putConfig(props.folder, parsed.value).then(
      (saved) => {
        setSaving(false);
        setError(null);
        setText(formatConfig(saved.config));
        notify('Configuration saved: it applies from the next sandbox start.');
      },
      (failure: unknown) => {
        setSaving(false);
        const apiField = (failure as { field?: unknown }).field;
        const message = failure instanceof Error ? failure.message : String(failure);
        setError({ field: typeof apiField === 'string' ? apiField : null, message });
        notify(`Configuration not saved: ${message}`);
      },
    );
  };

  const setField = (key: FriendlyKey, value: string) => {
    if (parsed.ok) setText(formatConfig(setFriendlyValue(parsed.value, key, value)));
  };
  const errorKey = friendlyKeyOf(error?.field ?? undefined);

  return (
    <form class="config-editor" data-testid="config-editor" aria-labelledby="config-title" onSubmit={save}>
      <LoadState
        loading={loaded.loading}
        error={loaded.error}
        hasData={!!loaded.data}
        what="the configuration"
      />
      {loaded.data?.error && (
        <p class="error-text" data-testid="config-current-error">
          The saved file is invalid (the group is not served until it is fixed): {loaded.data.error}
        </p>
      )}
      {FRIENDLY_KEYS.map((key) => (
        <FriendlyField
          key={key}
          name={key}
          value={parsed.ok ? friendlyValue(parsed.value, key) : ''}
          disabled={!parsed.ok}
          error={errorKey === key ? error : null}
          onChange={(value) => setField(key, value)}
        />
      ))}
      <JsonField text={text} onInput={setText} error={error && errorKey === null ? error : null} />
      <button type="submit" disabled={saving || !loaded.data}>
        {saving ? 'Saving…' : 'Save configuration'}
      </button>
    </form>
  );
}

function FriendlyField(props: {
  name: FriendlyKey;
  value: string;
  disabled: boolean;
  error: FieldError | null;
  onChange: (value: string) => void;
}) {
  const id = `config-${props.name}`;
  const describedBy = props.error ? `${id}-error ${id}-hint` : `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{props.name[0]!.toUpperCase() + props.name.slice(1)}</label>
      <input
        id={id}
        name={props.name}
        value={props.value}
        disabled={props.disabled}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      />
      <span id={`${id}-hint`} class="muted small">
        {HINTS[props.name]}
      </span>
      {props.error && (
        <p
          id={`${id}-error`}
          class="error-text"
          data-testid="config-field-error"
          data-field={props.error.field}
        >
          {withField(props.error)}
        </p>
      )}
    </div>
  );
}

function JsonField(props: { text: string; onInput: (text: string) => void; error: FieldError | null }) {
  return (
    <div class="field">
      <label for="config-json">Configuration (JSON)</label>
      <textarea
        id="config-json"
        class="code"
        rows={14}
        spellcheck={false}
        value={props.text}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? 'config-json-error' : undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {props.error && (
        <p
          id="config-json-error"
          class="error-text"
          data-testid="config-field-error"
          data-field={props.error.field ?? ''}
        >
          {withField(props.error)}
        </p>
      )}
    </div>
  );
}

/** The host's message, prefixed with the key it names unless it already says it. */
function withField(error: FieldError): string {
  if (!error.field || error.message.includes(error.field)) return error.message;
  return `${error.field}: ${error.message}`;
}
