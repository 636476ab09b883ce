import type { ChannelAdapter, Logger } from '@nanoclaw/core';
import { errorMessage } from '@nanoclaw/core';
import type { People, UserView } from '../people/index.js';
import type { CardDestination } from './approval-store.js';

export interface ApproverRouteOptions {
  people: Pick<People, 'approverTiers'>;
  /** The running channel adapters. */
  adapters: () => Iterable<ChannelAdapter>;
  logger: Logger;
}

/**
 * Where an access request's card goes: the group's admins, then global admins, then owners — the first tier
 * with anyone reachable wins, and within it the first identity whose platform can open a direct chat with them
 * (the requester's platform first, then in order). Undefined when nobody is reachable: the request stays
 * pending for `nanoclaw approvals`.
 */
export async function routeToApprover(
  options: ApproverRouteOptions,
  groupId: string | null,
  preferPlatform: string,
): Promise<CardDestination | undefined> {
  for (const tier of await options.people.approverTiers(groupId)) {
    const ordered = [...tier].sort(
      (a, b) => Number(b.platform === preferPlatform) - Number(a.platform === preferPlatform),
    );
    for (const user of ordered) {
      const destination = await openDirect(options, user);
      if (destination) return destination;
    }
  }
  return undefined;
}

async function openDirect(
  options: ApproverRouteOptions,
  user: UserView,
): Promise<CardDestination | undefined> {
  for (const adapter of options.adapters()) {
    if (adapter.channel !== user.platform || !adapter.openDirectChat) continue;
    try {
      const chatId = await adapter.openDirectChat(user.platformUserId);
      return { channel: adapter.channel, accountId: adapter.accountId, chatId, userId: user.id };
    } catch (error) {
      options.logger.info(
        { user: user.id, channel: adapter.channel, accountId: adapter.accountId, error: errorMessage(error) },
        'cannot reach an approver in a direct chat here; trying the next',
      );
    }
  }
  return undefined;
}
