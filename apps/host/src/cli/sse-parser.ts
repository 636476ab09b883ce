/** One Server-Sent Events message. */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * An incremental SSE parser: feed it text as it arrives, it returns the messages completed so far. Comments
 * (heartbeats) are skipped; `event` defaults to `message`.
 */
export function createSseParser(): { push(chunk: string): SseMessage[] } {
  let buffer = '';
  let event = '';
  let data: string[] = [];

  function line(text: string, out: SseMessage[]): void {
    if (text === '') {
      if (data.length > 0) out.push({ event: event || 'message', data: data.join('\n') });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }

  return {
    push(chunk) {
      buffer += chunk;
      const out: SseMessage[] = [];
      let newline = buffer.search(/\r\n|\r|\n/);
      while (newline !== -1) {
        const width = buffer.startsWith('\r\n', newline) ? 2 : 1;
        // A lone \r at the very end may be the first half of \r\n: wait for more.
        if (buffer[newline] === '\r' && width === 1 && newline === buffer.length - 1) break;
        line(buffer.slice(0, newline), out);
        buffer = buffer.slice(newline + width);
        newline = buffer.search(/\r\n|\r|\n/);
      }
      return out;
    },
  };
}
