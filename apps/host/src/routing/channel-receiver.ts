import type { CardAction, CardActionResult, InboundMessageInput, Logger } from '@nanoclaw/core';
import { InboundValidationError, type Inbox } from './inbox.js';
import type { InboundRouter, RouteOutcome } from './route-inbound.js';
import type { StoredInbound } from './stored-inbound.js';
import type { Turn } from './turn.js';

export interface ChannelReceiverOptions {
  inbox: Pick<Inbox, 'store'>;
  router: InboundRouter;
  /** Enqueue the turn in the group queue (priority interactive). */
  onTurn: (turn: Turn) => void | Promise<void>;
  /** Every routing outcome, e.g. to report a config error to the chat or publish host events. */
  onOutcome?: (outcome: RouteOutcome, message: StoredInbound) => void | Promise<void>;
  /** `ChannelHost.receiveAction`: a tap on a card's button (approvals, questions). */
  onAction?: (action: CardAction) => Promise<CardActionResult>;
  logger: Logger;
}

export interface ReceiveResult {
  duplicate: boolean;
  message: StoredInbound;
  /** Undefined for a duplicate, or when routing failed (the message stays `received` for start-up recovery). */
  outcome?: RouteOutcome;
}

export interface ChannelReceiver {
  /**
   * `ChannelHost.receive`: resolves once the message is stored. A message that can never be valid is logged
   * and dropped (resolving, so the adapter acknowledges it instead of getting it redelivered forever).
   */
  receive(input: InboundMessageInput): Promise<{ duplicate: boolean; ignored?: boolean }>;
  /** Store, route and hand out the turn; rejects with `InboundValidationError` on bad input (for HTTP 400). */
  receiveDetailed(input: unknown): Promise<ReceiveResult>;
  /** `ChannelHost.receiveAction`. Never rejects: a failure is a refusal the tapper sees. */
  receiveAction(action: CardAction): Promise<CardActionResult>;
}

/** Store → route → enqueue, the path every channel adapter's messages take. */
export function createChannelReceiver(options: ChannelReceiverOptions): ChannelReceiver {
  const { inbox, router, logger } = options;

  async function receiveDetailed(input: unknown): Promise<ReceiveResult> {
    const stored = await inbox.store(input);
    if (stored.duplicate) return { duplicate: true, message: stored.message };
    let outcome: RouteOutcome;
    try {
      outcome = await router.route(stored.message);
    } catch (error) {
      logger.error(
        { err: error, messageId: stored.message.id },
        'routing failed; the message is routed again at start-up',
      );
      return { duplicate: false, message: stored.message };
    }
    await deliver(outcome, stored.message);
    return { duplicate: false, message: stored.message, outcome };
  }

  async function deliver(outcome: RouteOutcome, message: StoredInbound): Promise<void> {
    try {
      if (outcome.kind === 'turn') await options.onTurn(outcome.turn);
      await options.onOutcome?.(outcome, message);
    } catch (error) {
      logger.error({ err: error, messageId: message.id }, 'handing out a routed message failed');
    }
  }

  async function receiveAction(action: CardAction): Promise<CardActionResult> {
    if (!options.onAction) return { accepted: false, text: 'this host does not take button taps' };
    try {
      return await options.onAction(action);
    } catch (error) {
      logger.error({ err: error, channel: action.channel }, 'handling a button tap failed');
      return { accepted: false, text: 'the host could not handle this tap; try again' };
    }
  }

  return {
    receiveDetailed,
    receiveAction,
    async receive(input) {
      try {
        const result = await receiveDetailed(input);
        return result.outcome?.kind === 'ignored'
          ? { duplicate: result.duplicate, ignored: true }
          : { duplicate: result.duplicate };
      } catch (error) {
        if (!(error instanceof InboundValidationError)) throw error;
        logger.warn({ issues: error.issues }, 'dropped an invalid inbound message from a channel adapter');
        return { duplicate: false };
      }
    },
  };
}
