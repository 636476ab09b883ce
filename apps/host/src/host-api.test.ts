import {
  HOST_EVENT_TYPES as DASHBOARD_LISTENS_TO,
  type HostEvent as DashboardEvent,
} from '@nanoclaw/dashboard/types';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { HostEvent } from './host-api.js';

/**
 * The dashboard keeps its own copy of the event stream's types (it is built for the browser, without the host's
 * modules); these checks fail when the two drift apart. An event type missing from `HOST_EVENT_TYPES` would never
 * reach a page: its EventSource adds a listener per listed type.
 */
const EVERY_EVENT_TYPE: Record<HostEvent['type'], true> = {
  'run-start': true,
  'text-delta': true,
  reply: true,
  error: true,
  'run-end': true,
  'run-retry': true,
  'tool-call': true,
  sandbox: true,
  queue: true,
  task: true,
  approval: true,
};

describe("the dashboard's copy of the event types", () => {
  it('names the same event types as the host', () => {
    expectTypeOf<DashboardEvent['type']>().toEqualTypeOf<HostEvent['type']>();
  });

  it('listens to every event type the host sends', () => {
    expect([...DASHBOARD_LISTENS_TO].sort()).toEqual(Object.keys(EVERY_EVENT_TYPE).sort());
  });

  it('reads each event with fields the host sends', () => {
    type Fields<E, T> = Extract<E, { type: T }>;
    expectTypeOf<Fields<HostEvent, 'run-start'>>().toExtend<Fields<DashboardEvent, 'run-start'>>();
    expectTypeOf<Fields<HostEvent, 'text-delta'>>().toExtend<Fields<DashboardEvent, 'text-delta'>>();
    expectTypeOf<Fields<HostEvent, 'reply'>>().toExtend<Fields<DashboardEvent, 'reply'>>();
    expectTypeOf<Fields<HostEvent, 'error'>>().toExtend<Fields<DashboardEvent, 'error'>>();
    expectTypeOf<Fields<HostEvent, 'run-end'>>().toExtend<Fields<DashboardEvent, 'run-end'>>();
    expectTypeOf<Fields<HostEvent, 'run-retry'>>().toExtend<Fields<DashboardEvent, 'run-retry'>>();
    expectTypeOf<Fields<HostEvent, 'tool-call'>>().toExtend<Fields<DashboardEvent, 'tool-call'>>();
    expectTypeOf<Fields<HostEvent, 'sandbox'>>().toExtend<Fields<DashboardEvent, 'sandbox'>>();
    expectTypeOf<Fields<HostEvent, 'queue'>>().toExtend<Fields<DashboardEvent, 'queue'>>();
    expectTypeOf<Fields<HostEvent, 'task'>>().toExtend<Fields<DashboardEvent, 'task'>>();
    expectTypeOf<Fields<HostEvent, 'approval'>>().toExtend<Fields<DashboardEvent, 'approval'>>();
  });
});
