import path from 'node:path';
import type { Attachment, Logger } from '@nanoclaw/core';
import type { AdapterLookup } from '../channels/index.js';
import type { Outbox } from '../delivery/index.js';
import { adapterKey, type ChatRef, outboundAddress } from '../groups/index.js';
import { fetchTurnMedia, mediaNotice } from '../media/inbound-media.js';
import type { MediaResult } from '../media/media-result.js';
import type { Transcriber } from '../media/transcriber.js';
import type { StoredInbound } from '../routing/index.js';

/** What the worker needs to fetch a turn's files into the group folder. */
export interface TurnMediaDeps {
  adapters: Pick<AdapterLookup, 'get'>;
  /** Where group folders are on the host (`NANOCLAW_GROUPS_DIR`). */
  groupsDir: string;
  /** `MEDIA_MAX_MB`. */
  maxMb: number;
  /** True when agents run in the `process` runtime (they see the group folder at its host path). */
  hostPaths: () => boolean;
}

export interface TurnMedia {
  /** Per stored message id, for the prompt. */
  byMessage: Map<number, MediaResult[]>;
  /** The saved files as the runtime's input (ref relative to the group folder, the agent's cwd). */
  attachments: Attachment[];
}

/** A turn input carries at most this many files (`turnInputSchema`). */
const MAX_INPUT_ATTACHMENTS = 32;

/**
 * Fetches the files of a turn's messages into `<group>/inbox/<date>/` and tells the user, in the chat, about each
 * file the agent did not get whole (too big, not fetchable, not transcribed). Never rejects: the turn runs anyway.
 */
export async function prepareTurnMedia(
  deps: {
    media?: TurnMediaDeps | undefined;
    transcriber?: Transcriber | undefined;
    timezone: string;
    outbox: Pick<Outbox, 'enqueue'>;
    logger: Logger;
  },
  request: {
    group: { id: string; folder: string };
    chat: ChatRef;
    messages: readonly StoredInbound[];
    signal: AbortSignal;
  },
): Promise<TurnMedia> {
  const empty: TurnMedia = { byMessage: new Map(), attachments: [] };
  const { media } = deps;
  const { group, chat, messages, signal } = request;
  if (!media || !messages.some((m) => m.message.attachments?.length)) return empty;
  try {
    const byMessage = await fetchTurnMedia(
      {
        adapter: media.adapters.get(adapterKey(chat)),
        group,
        groupDir: path.resolve(media.groupsDir, group.folder),
        hostPaths: media.hostPaths(),
        maxMb: media.maxMb,
        timezone: deps.timezone,
        transcriber: deps.transcriber,
        signal,
        logger: deps.logger,
      },
      messages,
    );
    await notifyMediaProblems(deps, { group, chat, messages, byMessage });
    const attachments = [...byMessage.values()]
      .flat()
      .flatMap((result) => (result.ok ? [result.attachment] : []))
      .slice(0, MAX_INPUT_ATTACHMENTS);
    return { byMessage, attachments };
  } catch (error) {
    deps.logger.error(
      { err: error, group: group.folder },
      'inbound files could not be fetched; the turn runs without them',
    );
    return empty;
  }
}

/** One short chat message per file problem, keyed `media:<message id>:<index>` so a retried turn does not repeat it. */
async function notifyMediaProblems(
  deps: { outbox: Pick<Outbox, 'enqueue'> },
  turn: {
    group: { id: string };
    chat: ChatRef;
    messages: readonly StoredInbound[];
    byMessage: Map<number, MediaResult[]>;
  },
): Promise<void> {
  const { chat } = turn;
  for (const stored of turn.messages) {
    for (const [index, result] of (turn.byMessage.get(stored.id) ?? []).entries()) {
      const text = mediaNotice(result);
      if (!text) continue;
      await deps.outbox.enqueue({
        ...outboundAddress(chat),
        text,
        idempotencyKey: `media:${stored.id}:${index}`,
        replyToPlatformMessageId: stored.message.platformMessageId,
        groupId: turn.group.id,
      });
    }
  }
}
