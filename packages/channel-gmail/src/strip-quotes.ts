/**
 * What the agent reads of a reply: the new words only. Mail clients append the whole earlier conversation and a
 * signature to every reply; both are cut here, before the text reaches the host (they are the sender's or someone
 * else's old words, and a hostile sender can hide instructions in them).
 */

/** Lines where a Gmail-, Apple Mail- or Thunderbird-style quote header starts ("On Mon, 1 Jan 2026, Ann <a@b> wrote:"). */
const WROTE_HEADER = /^\s*On\s.+(?:\n.+){0,2}?\swrote:\s*$/im;
/** Outlook's separator line. */
const ORIGINAL_MESSAGE = /^\s*-{2,}\s*Original Message\s*-{2,}\s*$/im;
/** Outlook's header block of the quoted message: From: …, then Sent: or Date: within the next lines. */
const OUTLOOK_HEADER = /^\s*\*?From:\*?\s.+\n(?:.*\n){0,3}?\s*\*?(?:Sent|Date):\*?\s.+$/im;
/** A line of underscores Outlook puts above its header block. */
const OUTLOOK_RULE = /^\s*_{10,}\s*$/m;
/** "Forwarded message" and "Reply above this line" style markers. */
const OTHER_MARKERS = [
  /^\s*-{5,}\s*Forwarded message\s*-{5,}\s*$/im,
  /^\s*#+\s*Reply above this line\s*#+/im,
];

/**
 * The text before the first quoted-history marker, with trailing `>`-quoted lines and the signature removed.
 * Falls back to the whole text (minus `>` lines) when nothing is left, so a mail that is only a quote is not empty.
 */
export function stripQuotedHistory(text: string): string {
  const normalized = text.replace(/\r\n?/g, '\n');
  let cut = normalized.length;
  for (const marker of [WROTE_HEADER, ORIGINAL_MESSAGE, OUTLOOK_HEADER, OUTLOOK_RULE, ...OTHER_MARKERS]) {
    const match = marker.exec(normalized);
    if (match && match.index < cut) cut = match.index;
  }
  const head = stripSignature(dropQuotedLines(normalized.slice(0, cut)));
  if (head.trim() !== '') return head.trim();
  return dropQuotedLines(normalized).trim();
}

/** Lines starting with `>` (inline quotes) go; the rest stays in order. */
function dropQuotedLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('>'))
    .join('\n');
}

/** Everything from the standard signature separator (`-- ` on its own line, RFC 3676) on. */
export function stripSignature(text: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line === '-- ' || line === '--');
  return (at === -1 ? lines : lines.slice(0, at)).join('\n');
}

/** At most `max` characters, cut at a line or word end, with a note saying how much was left out. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `\n\n[… ${text.length - max} more characters not shown]`;
  const room = Math.max(0, max - note.length);
  const slice = text.slice(0, room);
  const end = Math.max(slice.lastIndexOf('\n'), slice.lastIndexOf(' '));
  return `${end > room / 2 ? slice.slice(0, end) : slice}${note}`;
}
