import type { ChannelAdapter, Logger } from '@nanoclaw/core';
import type { Scheduler } from '@nanoclaw/scheduler';
import type { Approvals } from '../approvals/index.js';
import type { Outbox } from '../delivery/index.js';
import type { GroupRegistry, RegisteredGroup } from '../groups/index.js';
import type { OutboundFileSpool } from '../media/outbound-file.js';

export interface AgentActionsOptions {
  scheduler: Pick<
    Scheduler,
    'createTask' | 'getTask' | 'listTasks' | 'pauseTask' | 'resumeTask' | 'cancelTask' | 'updateTask'
  >;
  registry: Pick<
    GroupRegistry,
    'get' | 'getById' | 'list' | 'add' | 'findBinding' | 'listBindings' | 'groupDir'
  >;
  outbox: Pick<Outbox, 'enqueue'>;
  /**
   * Files the agent sends (`send_message` attachments): checked and copied out of the group folder. Absent:
   * attachments are refused.
   */
  files?: Pick<OutboundFileSpool, 'spool' | 'release'>;
  /** The running adapter of a `channel:account` key, for its file limits. */
  adapters?: { get(key: string): ChannelAdapter | undefined };
  /** Questions to people (`ask_user_question`); absent: the tool is refused. */
  questions?: Pick<Approvals, 'ask'>;
  logger: Logger;
}

/** What every action handler gets: the dependencies and the asking group, loaded fresh. */
export interface ActionScope {
  deps: AgentActionsOptions;
  group: RegisteredGroup;
}
