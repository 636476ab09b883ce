/**
 * Markdown as the agent writes it → Slack mrkdwn. Slack wants `&`, `<` and `>` escaped, links as
 * `<url|text>`, bold as `*x*`, strike as `~x~`, and has no headings or fence languages. Code (fenced or
 * inline) is only escaped. Italics (`_x_`), lists, quotes and code already read the same in both.
 */
export function markdownToSlack(markdown: string): string {
  const out: string[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    const fence = /^([ \t]{0,3})(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      // Slack shows a fence's info string as code: drop it (```ts → ```).
      out.push(inFence ? `${fence[1]}\`\`\`${escapeSlack(fence[3] ?? '')}` : `${fence[1]}\`\`\``);
      inFence = !inFence;
      continue;
    }
    out.push(inFence ? escapeSlack(line) : proseLine(line));
  }
  return out.join('\n');
}

/**
 * Slack message text → Markdown, for inbound text and to compare what Slack received with the Markdown
 * sent: `<url|text>` → `[text](url)`, `<url>` → `url`, `<#C1|general>` → `#general`, entities unescaped.
 * User mentions (`<@U1>`) stay as they are: they are the platform's mention form.
 */
export function slackToMarkdown(mrkdwn: string): string {
  return mrkdwn
    .replace(
      /<((?:https?|mailto):[^|>\s]+)\|([^>]*)>/g,
      (_m, url: string, label: string) => `[${label}](${url})`,
    )
    .replace(/<((?:https?|mailto):[^|>\s]+)>/g, '$1')
    .replace(/<#[A-Z0-9]+\|([^>]+)>/g, '#$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const INLINE = /(`[^`\n]+`)|\[([^\]\n]+)\]\(((?:https?|mailto):[^\s)]+)\)/g;

function proseLine(line: string): string {
  const heading = /^#{1,6}[ \t]+(.+?)[ \t#]*$/.exec(line);
  const body = heading ? (heading[1] ?? '') : line;
  let result = '';
  let last = 0;
  for (const match of body.matchAll(INLINE)) {
    const index = match.index ?? 0;
    result += emphasis(escapeSlack(body.slice(last, index)));
    if (match[1]) result += escapeSlack(match[1]);
    else result += `<${escapeSlack(match[3] ?? '')}|${escapeSlack(match[2] ?? '')}>`;
    last = index + match[0].length;
  }
  result += emphasis(escapeSlack(body.slice(last)));
  return heading ? `*${result}*` : result;
}

function emphasis(text: string): string {
  return text.replace(/\*\*(?=\S)([^*\n]+?)\*\*/g, '*$1*').replace(/~~(?=\S)([^~\n]+?)~~/g, '~$1~');
}
