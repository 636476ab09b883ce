/** Test helpers (not shipped): a fake fetch with recorded calls, fake event streams, and the app rendered. */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { vi } from 'vitest';
import type { FetchLike } from './api.js';
import { App } from './app.js';

export class FakeEventSource {
  static all: FakeEventSource[] = [];
  readonly listeners = new Map<string, (event: MessageEvent<string>) => void>();
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.listeners.set(type, listener);
  }
  close() {
    this.closed = true;
  }
  static fire(url: string, type: string, data: unknown) {
    const source = FakeEventSource.all.find((s) => s.url === url && !s.closed);
    if (!source) throw new Error(`no open stream ${url}`);
    act(() => source.listeners.get(type)?.(new MessageEvent(type, { data: JSON.stringify(data) })));
  }
}

export const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export interface RecordedCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export type Routes = Record<string, (call: RecordedCall) => Response>;

/** Renders the app at `hash`, signed in (CSRF token `c1`) unless routes answer /auth/session otherwise. */
export function renderApp(hash: string, routes: Routes) {
  const calls: RecordedCall[] = [];
  FakeEventSource.all = [];
  vi.stubGlobal('EventSource', FakeEventSource);
  const root = document.createElement('div');
  document.body.append(root);
  location.hash = hash;
  const all: Routes = { 'GET /auth/session': () => json(200, { csrfToken: 'c1' }), ...routes };
  const fetch: FetchLike = async (url, init = {}) => {
    const call = {
      method: init.method ?? 'GET',
      url,
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body as string | undefined,
    };
    calls.push(call);
    return all[`${call.method} ${url}`]?.(call) ?? json(404, { error: `no route ${url}`, code: 'not-found' });
  };
  render(<App fetch={fetch} />, root);
  const q = <E extends Element = HTMLElement>(selector: string) => root.querySelector<E>(selector);
  const unmount = () => {
    render(null, root);
    root.remove();
    vi.unstubAllGlobals();
  };
  return { root, calls, q, unmount };
}

/** Retries `check` until it passes; `ms` is a deadline, generous because CI runs every package's tests at once. */
export async function waitFor(check: () => void, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
    }
  }
}

/** Types into an input or textarea as a user would (value + input event). */
export function typeInto(element: HTMLInputElement | HTMLTextAreaElement | null, value: string): void {
  if (!element) throw new Error('no such input');
  act(() => {
    element.value = value;
    element.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

export function click(element: Element | null): void {
  if (!element) throw new Error('nothing to click');
  act(() => (element as HTMLElement).click());
}

/** The button whose visible text is `text` (exactly). */
export function button(root: Element, text: string): HTMLButtonElement | null {
  return [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === text) ?? null;
}
