import { randomBytes } from 'node:crypto';

/**
 * What a card's button carries back: `nc1:<approval id>:<option number>`, at most 24 bytes, far under Telegram's
 * 64-byte `callback_data`. It names the approval and the option only: who tapped comes from the platform, and
 * every tap is checked against the stored approval, so forged data can at most name an approval its tapper may
 * not decide.
 */
const PREFIX = 'nc1';
const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A new approval id: 10 characters, no look-alikes (`l`, `o`, `0`, `1`), easy to type after `approvals approve`. */
export function newApprovalId(): string {
  const bytes = randomBytes(10);
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export function encodeCardData(approvalId: string, option: number): string {
  return `${PREFIX}:${approvalId}:${option}`;
}

/** The approval id and option number (from 1) a tap names, or undefined when it is not ours. */
export function parseCardData(data: string): { approvalId: string; option: number } | undefined {
  const match = /^nc1:([a-z0-9]{1,32}):(\d{1,2})$/.exec(data);
  if (!match?.[1] || !match[2]) return undefined;
  return { approvalId: match[1], option: Number(match[2]) };
}
