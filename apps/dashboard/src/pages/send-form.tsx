import { useState } from 'preact/hooks';
import { useApp } from '../context.js';

/** The message form: Enter sends, Shift+Enter makes a new line. */
export function SendForm(props: { folder: string; onSent: (id: string, text: string) => void }) {
  const { api, notify } = useApp();
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = (event?: Event) => {
    event?.preventDefault();
    const message = text.trim();
    if (message === '' || sending) return;
    setSending(true);
    setError(null);
    api.postMessage(props.folder, message).then(
      (posted) => {
        setSending(false);
        setText('');
        props.onSent(posted.messageId, message);
        notify(
          posted.willReply
            ? 'Message sent.'
            : `Message stored; no reply will come${posted.note ? `: ${posted.note}` : '.'}`,
        );
      },
      (failure: unknown) => {
        setSending(false);
        const why = failure instanceof Error ? failure.message : String(failure);
        setError(why);
        notify(`Could not send the message: ${why}`);
      },
    );
  };

  return (
    <form class="send-form" data-testid="send-form" aria-label="Write to the agent" onSubmit={submit}>
      <label for="message-text">Message</label>
      <textarea
        id="message-text"
        name="text"
        rows={3}
        value={text}
        aria-describedby={error ? 'message-error' : 'message-hint'}
        aria-invalid={error ? 'true' : undefined}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) submit(e);
        }}
      />
      <p id="message-hint" class="muted small">
        Enter sends, Shift+Enter adds a line. Outside the main group, start with the group's trigger (such as
        @Andy) for the agent to answer.
      </p>
      {error && (
        <p id="message-error" class="error-text">
          {error}
        </p>
      )}
      <button type="submit" disabled={sending || text.trim() === ''}>
        {sending ? 'Sending…' : 'Send'}
      </button>
    </form>
  );
}
