/**
 * The NanoClaw host wraps chat messages in a prompt (`<context>…</context>` then `<messages><message from="…"
 * at="…">text</message>…</messages>`, text XML-escaped). A model reads the messages inside; so does the mock,
 * so chat directives like `/tool …` work through a real host. Other text is returned unchanged.
 */
export function messagesOfHostPrompt(text: string): string {
  const start = text.lastIndexOf('<messages>');
  const end = text.lastIndexOf('</messages>');
  if (start < 0 || end < start) return text;
  const block = text.slice(start + '<messages>'.length, end);
  const bodies = [...block.matchAll(/<message\b[^>]*>([\s\S]*?)<\/message>/g)].map((match) =>
    unescapeXml((match[1] ?? '').replace(/^<quote\b[^>]*>[\s\S]*?<\/quote>/, '')),
  );
  return bodies.length > 0 ? bodies.join('\n') : text;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}
