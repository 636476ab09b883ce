/**
 * Splits text for a platform that caps message length. Each part is at most `limit` characters (UTF-16 code units,
 * as JavaScript and the Telegram/Slack/Discord limits count). Cuts prefer, in order: a paragraph break, a line
 * break, the end of a sentence, any whitespace, and only then the middle of a word (a word longer than a whole
 * part). Markdown links, bare URLs and inline code spans are never cut when they fit in a part. A cut inside a
 * fenced code block closes the fence at the end of the part and reopens it (with its language) at the start of
 * the next, so every part renders on its own. Whitespace at a cut is dropped outside code blocks.
 */
export function splitMessage(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer (got ${limit})`);
  if (text.length <= limit) return text.length === 0 ? [] : [text];
  const doc = analyse(text, limit >= MIN_FENCE_LIMIT);
  const parts: string[] = [];
  let start = skipSpace(text, 0, doc);
  let reopen = '';
  while (start < text.length) {
    const prefix = reopen === '' ? '' : `${reopen}\n`;
    const rest = text.slice(start);
    if (prefix.length + rest.length <= limit) {
      pushPart(parts, prefix + rest.trimEnd());
      break;
    }
    const cut = chooseCut(text, doc, start, limit - prefix.length);
    const fence = cut.fence;
    const body = fence ? text.slice(start, cut.end) : text.slice(start, cut.end).trimEnd();
    pushPart(parts, prefix + body + (fence ? `\n${fence.close}` : ''));
    reopen = fence ? fence.open : '';
    start = fence ? skipOneNewline(text, cut.end) : skipSpace(text, cut.end, doc);
  }
  return parts;
}

interface Fence {
  /** The opener line as written (```` ```ts ````). */
  open: string;
  /** The marker that closes it (```` ``` ````). */
  close: string;
  /** Content runs from `contentStart` to `contentEnd` (the start of the closing line, or the end of the text). */
  contentStart: number;
  contentEnd: number;
}

interface Span {
  start: number;
  end: number;
}

interface Analysis {
  fences: Fence[];
  /** Ranges a cut must not fall strictly inside: links, URLs, inline code, fence marker lines. */
  atomic: Span[];
}

const FENCE_LINE = /^[ \t]{0,3}(`{3,}|~{3,})(.*)$/;
/** Below this limit a closing and a reopened fence would eat the part: fences are treated as prose. */
const MIN_FENCE_LIMIT = 32;

function analyse(text: string, withFences: boolean): Analysis {
  const fences: Fence[] = [];
  const atomic: Span[] = [];
  const outside: Span[] = [];
  let open: { marker: string; line: string; lineStart: number; contentStart: number } | undefined;
  let pos = 0;
  let outsideStart = 0;
  for (const line of text.split('\n')) {
    const lineEnd = pos + line.length;
    const match = withFences ? FENCE_LINE.exec(line) : null;
    const marker = match?.[1];
    if (marker && !open) {
      outside.push({ start: outsideStart, end: pos });
      open = { marker, line: line.trim(), lineStart: pos, contentStart: Math.min(lineEnd + 1, text.length) };
      atomic.push({ start: pos, end: open.contentStart });
    } else if (
      marker &&
      open &&
      marker[0] === open.marker[0] &&
      marker.length >= open.marker.length &&
      !match?.[2]?.trim()
    ) {
      fences.push({ open: open.line, close: open.marker, contentStart: open.contentStart, contentEnd: pos });
      atomic.push({ start: pos, end: lineEnd });
      open = undefined;
      outsideStart = lineEnd;
    }
    pos = lineEnd + 1;
  }
  if (open)
    fences.push({
      open: open.line,
      close: open.marker,
      contentStart: open.contentStart,
      contentEnd: text.length,
    });
  else outside.push({ start: outsideStart, end: text.length });
  for (const span of outside) atomic.push(...inlineAtoms(text, span));
  return { fences, atomic };
}

const INLINE_ATOM = /\[[^\]\n]{0,500}\]\([^)\s]{1,2048}\)|https?:\/\/[^\s<>()]+|`[^`\n]{1,500}`/g;

function inlineAtoms(text: string, span: Span): Span[] {
  const out: Span[] = [];
  const slice = text.slice(span.start, span.end);
  for (const match of slice.matchAll(INLINE_ATOM)) {
    const start = span.start + (match.index ?? 0);
    out.push({ start, end: start + match[0].length });
  }
  return out;
}

interface Cut {
  end: number;
  /** Set when the cut falls inside this fence's content. */
  fence?: Fence;
}

type BreakClass = 'paragraph' | 'line' | 'sentence' | 'space';
const BREAK_CLASSES: readonly BreakClass[] = ['paragraph', 'line', 'sentence', 'space'];

/** The best cut for the part starting at `start` with `budget` characters of room. */
function chooseCut(text: string, doc: Analysis, start: number, budget: number): Cut {
  for (const kind of BREAK_CLASSES) {
    const minEnd = kind === 'space' ? start + 1 : start + Math.floor(budget / 2);
    const cut = lastBreak(text, doc, start, budget, kind, minEnd);
    if (cut) return cut;
  }
  return hardCut(text, doc, start, budget);
}

function lastBreak(
  text: string,
  doc: Analysis,
  start: number,
  budget: number,
  kind: BreakClass,
  minEnd: number,
) {
  for (let end = Math.min(text.length, start + budget); end >= minEnd; end -= 1) {
    if (!isBreak(text, end, kind)) continue;
    const cut = fits(doc, start, end, budget);
    if (cut) return cut;
  }
  return undefined;
}

/** A cut just before `end` of this class: the part is `text[start, end)`. */
function isBreak(text: string, end: number, kind: BreakClass): boolean {
  const next = text[end];
  const prev = text[end - 1];
  if (next === undefined || prev === undefined) return false;
  if (kind === 'paragraph') return next === '\n' && text[end + 1] === '\n' && prev !== '\n';
  if (kind === 'line') return next === '\n' && prev !== '\n';
  if (kind === 'sentence') return /\s/.test(next) && /[.!?:;]/.test(prev);
  return /\s/.test(next) && !/\s/.test(prev);
}

/** Whether `text[start, end)` can be a part: not inside an atom, room for a closing fence, not an empty fence. */
function fits(doc: Analysis, start: number, end: number, budget: number): Cut | undefined {
  if (doc.atomic.some((a) => a.start < end && end < a.end && a.end - a.start <= budget)) return undefined;
  const fence = doc.fences.find((f) => f.contentStart <= end && end <= f.contentEnd);
  if (!fence) return { end };
  if (end <= fence.contentStart || end === fence.contentEnd) return undefined;
  if (end - start + 1 + fence.close.length > budget) return undefined;
  return { end, fence };
}

/** No break fits: cut mid-word (never between a surrogate pair), inside a fence if need be. */
function hardCut(text: string, doc: Analysis, start: number, budget: number): Cut {
  let end = start + budget;
  const inFence = (at: number) => doc.fences.find((f) => f.contentStart < at && at <= f.contentEnd);
  const fence = inFence(end);
  if (fence && budget > fence.close.length + 1 + 8) end -= fence.close.length + 1;
  if (isHighSurrogate(text.charCodeAt(end - 1)) && end - 1 > start) end -= 1;
  const finalFence = inFence(end);
  return finalFence && end - start + 1 + finalFence.close.length <= budget
    ? { end, fence: finalFence }
    : { end };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function skipSpace(text: string, from: number, doc: Analysis): number {
  let pos = from;
  const fenceContent = (at: number) => doc.fences.some((f) => f.contentStart <= at && at < f.contentEnd);
  while (pos < text.length && /\s/.test(text[pos] ?? '') && !fenceContent(pos)) pos += 1;
  return pos;
}

function skipOneNewline(text: string, from: number): number {
  return text[from] === '\n' ? from + 1 : from;
}

function pushPart(parts: string[], part: string): void {
  if (part.trim() !== '') parts.push(part);
}
