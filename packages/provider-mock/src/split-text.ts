/** Splits `text` into `parts` consecutive chunks of near-equal length (fewer when the text is shorter). */
export function splitText(text: string, parts: number): string[] {
  const chars = Array.from(text);
  const count = Math.max(1, Math.min(Math.floor(parts), chars.length));
  if (chars.length === 0) return [];
  const size = Math.ceil(chars.length / count);
  const chunks: string[] = [];
  for (let start = 0; start < chars.length; start += size)
    chunks.push(chars.slice(start, start + size).join(''));
  return chunks;
}
