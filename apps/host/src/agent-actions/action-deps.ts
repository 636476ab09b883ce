import type { Logger } from '@nanoclaw/core';
import type { Scheduler } from '@nanoclaw/scheduler';
import type { Approvals } from '../approvals/index.js';
import type { Outbox } from '../delivery/index.js';
import type { GroupRegistry, RegisteredGroup } from '../groups/index.js';

export interface AgentActionsOptions {
  scheduler: Pick<
    Scheduler,
    'createTask' | 'getTask' | 'listTasks' | 'pauseTask' | 'resumeTask' | 'cancelTask' | 'updateTask'
  >;
  registry: Pick<GroupRegistry, 'get' | 'getById' | 'list' | 'add' | 'findBinding' | 'listBindings'>;
  outbox: Pick<Outbox, 'enqueue'>;
  /** Questions to people (`ask_user_question`); absent: the tool is refused. */
  questions?: Pick<Approvals, 'ask'>;
  logger: Logger;
}

/** What every action handler gets: the dependencies and the asking group, loaded fresh. */
export interface ActionScope {
  deps: AgentActionsOptions;
  group: RegisteredGroup;
}
