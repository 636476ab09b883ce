import type { SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { type AsyncQueue, createAsyncQueue } from '@nanoclaw/core';

/**
 * The one long-lived prompt of a session's `query()`: an async iterable of user messages the session writes
 * into, one per turn. Claude Code keeps running (warm) while the iterable is open; `end()` closes it.
 */
export type PromptStream = AsyncQueue<SDKUserMessage>;

export function createPromptStream(): PromptStream {
  return createAsyncQueue<SDKUserMessage>();
}

/** A user message for the prompt stream (`content`: a text, or text and image blocks). `uuid` lets a result be matched to its prompt. */
export function userMessage(content: SDKUserMessage['message']['content'], uuid: string): SDKUserMessage {
  return {
    type: 'user',
    message: { role: 'user', content },
    parent_tool_use_id: null,
    session_id: '',
    uuid: uuid as SDKUserMessage['uuid'],
  };
}
