/**
 * A card where the platform has no buttons (WhatsApp, the local chat): the options numbered, and how to answer.
 * The host reads the asked person's numbered reply as the answer (`parseNumberedReply`).
 */
export function numberedCardText(text: string, labels: readonly string[]): string {
  const lines = labels.map((label, index) => `${index + 1}. ${label}`);
  return `${text}\n\n${lines.join('\n')}\nReply with the number (e.g. 1).`;
}

/** The option number of a numbered reply (`1`, ` 2 `, `#2`), or undefined for any other text. */
export function parseNumberedReply(text: string): number | undefined {
  const match = /^\s*#?(\d{1,2})[.)]?\s*$/.exec(text);
  return match?.[1] ? Number(match[1]) : undefined;
}
