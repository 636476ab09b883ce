import { describe, expect, it } from 'vitest';
import { parseRoute, routeHref } from './routes.js';

describe('hash routes', () => {
  it.each([
    ['', { page: 'overview' }],
    ['#', { page: 'overview' }],
    ['#/', { page: 'overview' }],
    ['#/tasks', { page: 'tasks' }],
    ['#/usage/', { page: 'usage' }],
    ['#/sandboxes', { page: 'sandboxes' }],
    ['#/people', { page: 'people' }],
    ['#/groups/main', { page: 'group', folder: 'main' }],
    ['#/groups/my%20group', { page: 'group', folder: 'my group' }],
    ['#/groups', { page: 'not-found', path: 'groups' }],
    ['#/groups/a/b', { page: 'not-found', path: 'groups/a/b' }],
    ['#/groups/%E0%A4%A', { page: 'not-found', path: 'groups/%E0%A4%A' }],
    ['#/nope', { page: 'not-found', path: 'nope' }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('round-trips through routeHref', () => {
    for (const route of [
      { page: 'overview' },
      { page: 'tasks' },
      { page: 'group', folder: 'a b/c' },
    ] as const) {
      expect(parseRoute(routeHref(route))).toEqual(route);
    }
  });
});
