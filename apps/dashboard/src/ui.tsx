/** Small building blocks every page uses: the page frame with its h1, scrollable tables, load states. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { ApiError } from './api.js';

/** One page: its `<h1>` takes focus when the page opens, so keyboard and screen-reader users land on it. */
export function Page(props: { title: string; children: ComponentChildren; testId: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · NanoClaw`;
    heading.current?.focus();
  }, [props.title]);
  return (
    <div data-testid={props.testId}>
      <h1 id="page-title" tabIndex={-1} ref={heading}>
        {props.title}
      </h1>
      {props.children}
    </div>
  );
}

/**
 * A table that scrolls sideways inside its own box on a narrow screen (the page never does). The box is a
 * focusable, labelled region so keyboard users can scroll it too.
 */
export function TableRegion(props: { label: string; testId?: string; children: ComponentChildren }) {
  return (
    <section
      class="table-wrap"
      aria-label={props.label}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll by keyboard
      tabIndex={0}
      data-testid={props.testId}
    >
      <table>
        <caption class="visually-hidden">{props.label}</caption>
        {props.children}
      </table>
    </section>
  );
}

/** What a request left behind: a loading line the first time, the error when it failed. */
export function LoadState(props: {
  loading: boolean;
  error: ApiError | undefined;
  hasData: boolean;
  what: string;
}) {
  if (props.error) {
    return (
      <p class="error" role="alert">
        Could not load {props.what}: {props.error.message}
      </p>
    );
  }
  if (props.loading && !props.hasData) return <p class="muted">Loading {props.what}…</p>;
  return null;
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="muted">{props.children}</p>;
}

/** `connected` in green text with a dot, `disconnected` in red: the word carries the meaning, not the colour. */
export function StateBadge(props: { state: string; good?: boolean; bad?: boolean }) {
  const tone = props.bad ? 'bad' : props.good ? 'good' : 'neutral';
  return <span class={`badge badge-${tone}`}>{props.state}</span>;
}
