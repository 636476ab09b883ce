import type { Logger } from '@nanoclaw/core';
import { isHistoryGone } from './errors.js';
import type { GmailApi } from './gmail-api.js';

/** The label every handled mail gets (with UNREAD removed): what the assistant read is visible in Gmail. */
export const HANDLED_LABEL = 'NanoClaw';

/** What a full re-sync looks at: unread inbox mail, newest first, at most this many. */
const RESYNC_MAX_MESSAGES = 200;

export interface Changes {
  /** Added message ids, oldest first, each once. */
  messageIds: string[];
  /** Where the next read starts, once these messages are handled. */
  historyId: string;
  /** True when Google no longer had the history (404) and the unread inbox was read instead. */
  resynced: boolean;
}

/** The account's address and the history id of "now". */
export async function profile(api: GmailApi): Promise<{ email: string; historyId: string }> {
  const { data } = await api.users.getProfile({ userId: 'me' });
  if (!data.emailAddress || !data.historyId) throw new Error('gmail profile without address or history id');
  return { email: data.emailAddress.toLowerCase(), historyId: data.historyId };
}

/**
 * Messages added to the inbox since `historyId` (every page of `history.list`). When Google answers 404 (the
 * history id is too old: Gmail keeps about a week), falls back to a full re-sync: unread inbox mail not yet
 * labelled handled, from the current history id on.
 */
export async function changesSince(api: GmailApi, historyId: string, logger: Logger): Promise<Changes> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  let latest = historyId;
  try {
    do {
      const { data } = await api.users.history.list({
        userId: 'me',
        startHistoryId: historyId,
        historyTypes: ['messageAdded'],
        labelId: 'INBOX',
        ...(pageToken ? { pageToken } : {}),
      });
      for (const record of data.history ?? []) {
        for (const added of record.messagesAdded ?? []) if (added.message?.id) ids.push(added.message.id);
      }
      if (data.historyId) latest = data.historyId;
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
  } catch (error) {
    if (!isHistoryGone(error)) throw error;
    logger.warn({ historyId }, 'gmail history is too old (404); re-reading the unread inbox');
    return fullResync(api);
  }
  return { messageIds: [...new Set(ids)], historyId: latest, resynced: false };
}

/** Unread inbox mail (oldest first), and the history id to go on from. */
export async function fullResync(api: GmailApi): Promise<Changes> {
  const { historyId } = await profile(api);
  const { data } = await api.users.messages.list({
    userId: 'me',
    labelIds: ['INBOX', 'UNREAD'],
    maxResults: RESYNC_MAX_MESSAGES,
  });
  const ids = (data.messages ?? []).flatMap((m) => (m.id ? [m.id] : [])).reverse();
  return { messageIds: ids, historyId, resynced: true };
}

/** Label names by id (user and system labels), and the handled label's id (created when missing). */
export interface Labels {
  handledId: string;
  nameOf(id: string): string | undefined;
  /** Reads the account's labels again (a label was added since start). */
  refresh(): Promise<void>;
}

export async function loadLabels(api: GmailApi): Promise<Labels> {
  const names = new Map<string, string>();
  const refresh = async () => {
    const { data } = await api.users.labels.list({ userId: 'me' });
    names.clear();
    for (const label of data.labels ?? []) if (label.id && label.name) names.set(label.id, label.name);
  };
  await refresh();
  let handledId = [...names].find(([, name]) => name === HANDLED_LABEL)?.[0];
  if (!handledId) {
    const { data } = await api.users.labels.create({
      userId: 'me',
      requestBody: { name: HANDLED_LABEL, labelListVisibility: 'labelShow', messageListVisibility: 'show' },
    });
    if (!data.id) throw new Error(`gmail did not create the ${HANDLED_LABEL} label`);
    handledId = data.id;
    names.set(handledId, HANDLED_LABEL);
  }
  const id = handledId;
  return { handledId: id, nameOf: (labelId) => names.get(labelId), refresh };
}

/** Handled: the NanoClaw label on, UNREAD off. */
export async function markHandled(api: GmailApi, labels: Labels, messageId: string): Promise<void> {
  await api.users.messages.modify({
    userId: 'me',
    id: messageId,
    requestBody: { addLabelIds: [labels.handledId], removeLabelIds: ['UNREAD'] },
  });
}
