/** Hash routing: one index.html, every page at `#/...` so the host serves a single file. */

export type Route =
  | { page: 'overview' }
  | { page: 'group'; folder: string }
  | { page: 'tasks' }
  | { page: 'usage' }
  | { page: 'sandboxes' }
  | { page: 'people' }
  | { page: 'not-found'; path: string };

const SIMPLE = ['tasks', 'usage', 'sandboxes', 'people'] as const;

/** `#/groups/main` → `{page: 'group', folder: 'main'}`; an empty hash is the overview. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (path === '') return { page: 'overview' };
  const parts = path.split('/');
  const [first, second] = parts;
  if (parts.length === 1) {
    const simple = SIMPLE.find((name) => name === first);
    if (simple) return { page: simple };
  }
  if (parts.length === 2 && first === 'groups' && second) {
    try {
      return { page: 'group', folder: decodeURIComponent(second) };
    } catch {
      return { page: 'not-found', path };
    }
  }
  return { page: 'not-found', path };
}

/** The hash of a route: `{page: 'group', folder: 'main'}` → `#/groups/main`. */
export function routeHref(route: Exclude<Route, { page: 'not-found' }>): string {
  switch (route.page) {
    case 'overview':
      return '#/';
    case 'group':
      return `#/groups/${encodeURIComponent(route.folder)}`;
    default:
      return `#/${route.page}`;
  }
}

export const NAV: ReadonlyArray<{ label: string; href: string; page: Route['page'] }> = [
  { label: 'Overview', href: '#/', page: 'overview' },
  { label: 'Tasks', href: '#/tasks', page: 'tasks' },
  { label: 'Usage', href: '#/usage', page: 'usage' },
  { label: 'Sandboxes', href: '#/sandboxes', page: 'sandboxes' },
  { label: 'People', href: '#/people', page: 'people' },
];
