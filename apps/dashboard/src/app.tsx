/**
 * The dashboard shell: asks `GET /auth/session` first (not signed in → the sign-in hint and nothing else),
 * then shows the top nav, the page of the current hash route, and the live region for notices. While signed
 * in it keeps one `/api/v1/events` stream open and hands its events to the pages through the `EventBus`.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type ApiClient, createApiClient, type FetchLike } from './api.js';
import { AppContext, type AppContextValue, EventBus } from './context.js';
import { type LiveState, subscribeEvents } from './events.js';
import { GroupPage } from './pages/group.js';
import { OverviewPage } from './pages/overview.js';
import { PeoplePage } from './pages/people.js';
import { SandboxesPage } from './pages/sandboxes.js';
import { SignedOutPage } from './pages/signed-out.js';
import { TasksPage } from './pages/tasks.js';
import { UsagePage } from './pages/usage.js';
import { NAV, parseRoute, type Route } from './routes.js';
import { Page } from './ui.js';

type SessionState = 'checking' | 'signed-out' | 'signed-in' | { error: string };

function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function useSession(api: ApiClient, setSession: (s: SessionState) => void): void {
  useEffect(() => {
    api.session().then(
      (session) => setSession(session ? 'signed-in' : 'signed-out'),
      (error: unknown) => setSession({ error: error instanceof Error ? error.message : String(error) }),
    );
  }, [api, setSession]);
}

/** `fetch` replaces the browser's (tests); the client always reports a 401 as "signed out". */
export function App(props: { fetch?: FetchLike }) {
  const [session, setSession] = useState<SessionState>('checking');
  const [notice, setNotice] = useState({ text: '', seq: 0 });
  const [live, setLive] = useState<LiveState>('connecting');
  const route = useHashRoute();
  const api = useMemo(
    () =>
      createApiClient({
        onUnauthorized: () => setSession('signed-out'),
        ...(props.fetch ? { fetch: props.fetch } : {}),
      }),
    [props.fetch],
  );
  const context = useMemo<AppContextValue>(
    () => ({ api, bus: new EventBus(), notify: (text) => setNotice((n) => ({ text, seq: n.seq + 1 })) }),
    [api],
  );
  useSession(api, setSession);
  useEffect(() => {
    if (session !== 'signed-in') return;
    return subscribeEvents('/api/v1/events', (event) => context.bus.emit(event), setLive);
  }, [session, context]);

  const signOut = () => {
    api.logout().then(
      () => setSession('signed-out'),
      (error: unknown) =>
        context.notify(`Could not sign out: ${error instanceof Error ? error.message : error}`),
    );
  };

  return (
    <AppContext.Provider value={context}>
      <button type="button" class="skip-link" onClick={skipToMain}>
        Skip to content
      </button>
      <header class="top" data-testid="session" data-state={typeof session === 'object' ? 'error' : session}>
        <span class="brand">NanoClaw</span>
        {session === 'signed-in' && <TopNav route={route} live={live} onSignOut={signOut} />}
      </header>
      <main id="main" tabIndex={-1}>
        <Body session={session} route={route} />
      </main>
      <p class="notice" role="status" aria-live="polite" data-testid="notice">
        <span key={notice.seq}>{notice.text}</span>
      </p>
    </AppContext.Provider>
  );
}

/** The hash is the route, so the skip link is a button that moves focus rather than a link to `#main`. */
function skipToMain(): void {
  document.getElementById('main')?.focus();
}

function TopNav(props: { route: Route; live: LiveState; onSignOut: () => void }) {
  const current = props.route.page === 'group' ? 'overview' : props.route.page;
  return (
    <nav aria-label="Main">
      <ul>
        {NAV.map((item) => (
          <li key={item.href}>
            <a href={item.href} aria-current={item.page === current ? 'page' : undefined}>
              {item.label}
            </a>
          </li>
        ))}
      </ul>
      <span class="live" data-testid="live-state" data-state={props.live}>
        {props.live === 'live' ? 'Live' : props.live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
      </span>
      <button type="button" class="link-button" data-testid="sign-out" onClick={props.onSignOut}>
        Sign out
      </button>
    </nav>
  );
}

function Body(props: { session: SessionState; route: Route }) {
  const { session, route } = props;
  if (session === 'checking') return <p class="muted">Checking the session…</p>;
  if (session === 'signed-out') return <SignedOutPage />;
  if (typeof session === 'object') {
    return (
      <Page title="Host not reachable" testId="session-error">
        <p class="error">Could not ask the host whether you are signed in: {session.error}</p>
      </Page>
    );
  }
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'group':
      return <GroupPage folder={route.folder} key={route.folder} />;
    case 'tasks':
      return <TasksPage />;
    case 'usage':
      return <UsagePage />;
    case 'sandboxes':
      return <SandboxesPage />;
    case 'people':
      return <PeoplePage />;
    default:
      return (
        <Page title="Page not found" testId="not-found">
          <p>
            There is no page at <code>#/{route.path}</code>. <a href="#/">Go to the overview</a>.
          </p>
        </Page>
      );
  }
}
