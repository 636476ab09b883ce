/**
 * The group's conversation: the stored messages (`GET /api/v1/groups/:folder/messages`), then what the group's
 * own event stream brings: the agent's reply streaming into its bubble, tool calls as chips, errors. The form
 * posts a message (`POST /api/v1/groups/:folder/messages`).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from '../context.js';
import {
  addSentMessage,
  applyEvent,
  bubbleText,
  type Conversation,
  type ConversationItem,
  initialConversation,
  toolLabel,
} from '../conversation.js';
import { subscribeEvents } from '../events.js';
import { formatTime } from '../format.js';
import { LoadState } from '../ui.js';
import { useData } from '../use-data.js';
import { SendForm } from './send-form.js';

function useLiveConversation(folder: string) {
  const [live, setLive] = useState<Conversation>(() => initialConversation());
  useEffect(() => {
    const url = `/api/v1/groups/${encodeURIComponent(folder)}/events`;
    return subscribeEvents(url, (event) => setLive((state) => applyEvent(state, event)));
  }, [folder]);
  return [live, setLive] as const;
}

export function ConversationView(props: { folder: string }) {
  const { api } = useApp();
  const stored = useData(() => api.messages(props.folder, 50), [props.folder]);
  const [live, setLive] = useLiveConversation(props.folder);
  const items = [...initialConversation(stored.data?.messages ?? []).items, ...live.items];
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  });
  const onSent = (id: string, text: string) =>
    setLive((state) => addSentMessage(state, id, text, Date.now()));
  return (
    <>
      <LoadState loading={stored.loading} error={stored.error} hasData={!!stored.data} what="the messages" />
      <div
        class="conversation"
        ref={box}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the scrolling log must be reachable by keyboard
        tabIndex={0}
        role="log"
        aria-labelledby="conversation-title"
        data-testid="conversation"
      >
        {items.length === 0 && !stored.loading && <p class="muted">No messages yet.</p>}
        {items.map((item) => (
          <Item item={item} key={item.key} />
        ))}
      </div>
      <SendForm folder={props.folder} onSent={onSent} />
    </>
  );
}

function Item({ item }: { item: ConversationItem }) {
  if (item.kind === 'message') {
    return (
      <div class={`bubble ${item.fromAgent ? 'bubble-agent' : 'bubble-user'}`} data-testid="message">
        <div class="bubble-meta">
          {item.fromAgent ? 'agent' : item.senderName} · {formatTime(item.at)}
        </div>
        <div class="bubble-text">{item.text}</div>
      </div>
    );
  }
  if (item.kind === 'error') {
    return (
      <div class="bubble bubble-error" data-testid="conversation-error">
        <strong>Error:</strong> {item.message}
      </div>
    );
  }
  return <AgentBubble item={item} />;
}

function AgentBubble({ item }: { item: Extract<ConversationItem, { kind: 'agent' }> }) {
  const tools = item.parts.filter((p) => p.type === 'tool');
  const text = bubbleText(item);
  return (
    <div
      class={`bubble bubble-agent${item.streaming ? ' streaming' : ''}`}
      data-testid="agent-bubble"
      data-streaming={item.streaming ? 'true' : 'false'}
      data-status={item.status}
      aria-busy={item.streaming ? 'true' : 'false'}
    >
      <div class="bubble-meta">agent · {bubbleState(item)}</div>
      {tools.length > 0 && (
        <ul class="tool-chips" aria-label="Tool calls">
          {tools.map((tool, i) => (
            <li class="tool-chip" data-testid="tool-chip" key={i} title={`${tool.kind} tool`}>
              {toolLabel(tool)}
            </li>
          ))}
        </ul>
      )}
      <div class="bubble-text" data-testid="agent-text">
        {text}
        {item.streaming && <span class="cursor" aria-hidden="true" />}
      </div>
    </div>
  );
}

/** `writing…`, `replied`, or why a try failed and when the next starts. */
function bubbleState(item: Extract<ConversationItem, { kind: 'agent' }>): string {
  if (item.streaming && item.retry) {
    const seconds = Math.max(1, Math.round(item.retry.retryInMs / 1000));
    return `this try failed (${item.retry.message}); trying again in ${seconds} s…`;
  }
  return item.streaming ? 'writing…' : item.status;
}
