import type { SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';

/**
 * The one long-lived prompt of a session's `query()`: an async iterable of user messages the session writes
 * into, one per turn. Claude Code keeps running (warm) while the iterable is open; `end()` closes it.
 */
export interface PromptStream extends AsyncIterable<SDKUserMessage> {
  push(message: SDKUserMessage): void;
  end(): void;
}

export function createPromptStream(): PromptStream {
  const buffer: SDKUserMessage[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const notify = () => {
    const current = wake;
    wake = undefined;
    current?.();
  };
  async function* iterate(): AsyncGenerator<SDKUserMessage> {
    while (true) {
      const next = buffer.shift();
      if (next) {
        yield next;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  return {
    push(message) {
      if (ended) return;
      buffer.push(message);
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    [Symbol.asyncIterator]: iterate,
  };
}

/** A user message for the prompt stream. `uuid` lets a result be matched to its prompt. */
export function userMessage(text: string, uuid: string): SDKUserMessage {
  return {
    type: 'user',
    message: { role: 'user', content: text },
    parent_tool_use_id: null,
    session_id: '',
    uuid: uuid as SDKUserMessage['uuid'],
  };
}
