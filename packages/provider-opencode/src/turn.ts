import type { AgentEvent, ProviderErrorCode, TurnStatus } from '@nanoclaw/core';
import { LoopTurn } from '@nanoclaw/provider-utils';
import type { Event as OpencodeEvent, Part } from '@opencode-ai/sdk/v2';
import { bodyMessage } from './errors.js';
import { toolCallOf, toolResultOf } from './parts.js';

type Emit = (event: AgentEvent) => void;

interface TextState {
  messageId: string;
  /** The part's latest full text. */
  text: string;
  /** What was emitted as deltas so far. */
  emitted: string;
}

interface StepTokens {
  input: number;
  output: number;
  cached: number;
}

/** Retry status the session acts on. */
export interface RetryStatus {
  attempt: number;
  message: string;
}

export interface TurnHooks {
  /** opencode announced a retry of a failing model request. */
  onRetry(retry: RetryStatus): void;
  /** opencode compacted the session during the turn (its own overflow handling). */
  onCompacted(): void;
  /**
   * The turn's first assistant message exists: opencode's loop really runs. An abort before that point is
   * lost or, worse, hits the next prompt instead (opencode 1.18.33 then fails it with "All fibers
   * interrupted"), so aborts wait for this.
   */
  onRunning(): void;
}

/** How long an idle turn without any assistant message waits for opencode's error event. */
const EMPTY_TURN_GRACE_MS = 250;
/** Parts and deltas seen before the message they belong to (at most this many, then dropped). */
const MAX_PENDING = 500;

/**
 * One turn of one opencode session: turns the server's events (already filtered to the session) into spec
 * events. The turn is over on `session.status idle` after this turn's `busy` (an idle left over from an
 * earlier turn can arrive first), or after a `session.error` (opencode may fail before it got busy).
 * Only assistant messages whose parent is a user message created since the turn started count, so late
 * events of an earlier turn (an aborted answer, a re-sent old user message) never leak in.
 */
export class TurnTracker extends LoopTurn {
  /** Set when opencode reported an error for the turn. */
  errorMessage: string | undefined;
  /** A failure decided here (retries exhausted, server gone): wins over `errorMessage`. */
  localError: { message: string; code: ProviderErrorCode; retryable: boolean } | undefined;
  /** True once the prompt request was accepted. */
  prompted = false;
  private busySeen = false;
  private emptyTimer: NodeJS.Timeout | undefined;
  /** True once the turn's first assistant message exists (see `TurnHooks.onRunning`). */
  running = false;
  private errorSeen = false;
  /** User messages created since the turn started: the prompt, and any opencode adds (e.g. after compacting). */
  private readonly userIds = new Set<string>();
  private readonly assistantIds: string[] = [];
  private readonly texts = new Map<string, TextState>();
  private readonly steps = new Map<string, StepTokens>();
  private readonly calls = new Set<string>();
  private readonly results = new Set<string>();
  private readonly pending = new Map<string, OpencodeEvent[]>();
  private pendingCount = 0;

  constructor(
    readonly turnId: string,
    private readonly emit: Emit,
    private readonly mcpServers: readonly string[],
    private readonly hooks: TurnHooks,
    /** When the prompt was sent (opencode stamps messages with the same clock). */
    private readonly startedAt: number = Date.now(),
  ) {
    super();
  }

  /** Ends the turn with `status` (first call wins). */
  override finish(status: TurnStatus): void {
    clearTimeout(this.emptyTimer);
    super.finish(status);
  }

  handle(event: OpencodeEvent): void {
    if (this.status !== undefined) return;
    switch (event.type) {
      case 'session.status':
        this.onStatus(event.properties.status);
        return;
      case 'session.error': {
        // An abort's own error (ours, or a late one of an earlier turn) says nothing about this turn.
        const error = event.properties.error;
        if (error?.name === 'MessageAbortedError') return;
        this.errorSeen = true;
        this.errorMessage = bodyMessage(error, 'opencode reported an error');
        if (this.emptyTimer) this.finish('failed');
        return;
      }
      case 'session.compacted':
        this.hooks.onCompacted();
        return;
      case 'message.updated': {
        const info = event.properties.info;
        if (info.role === 'user') {
          if (info.time.created >= this.startedAt) this.userIds.add(info.id);
          return;
        }
        if (!this.userIds.has(info.parentID)) return;
        if (!this.assistantIds.includes(info.id)) {
          this.assistantIds.push(info.id);
          if (!this.running) {
            this.running = true;
            this.hooks.onRunning();
          }
          this.replay(info.id);
        }
        if (info.error && info.error.name !== 'MessageAbortedError') {
          this.errorMessage = bodyMessage(info.error, 'the model request failed');
        }
        return;
      }
      case 'message.part.updated':
        this.routePart(event, event.properties.part.messageID);
        return;
      case 'message.part.delta':
        this.routePart(event, event.properties.messageID);
        return;
      default:
        return;
    }
  }

  /** The turn's closing events: usage (when a step finished), error (when failed), turn-end. */
  end(): void {
    const status = this.status ?? 'failed';
    if (this.steps.size > 0) {
      const usage = { input: 0, cached: 0, output: 0 };
      for (const step of this.steps.values()) {
        usage.input += step.input;
        usage.cached += step.cached;
        usage.output += step.output;
      }
      this.emit({
        type: 'usage',
        turnId: this.turnId,
        inputTokens: usage.input,
        cachedInputTokens: usage.cached,
        outputTokens: usage.output,
      });
    }
    if (status === 'failed') {
      this.emit({
        type: 'error',
        turnId: this.turnId,
        message: this.localError?.message ?? this.errorMessage ?? 'the opencode turn failed',
        code: this.localError?.code ?? 'model-error',
        retryable: this.localError?.retryable ?? true,
      });
    }
    this.emit({ type: 'turn-end', turnId: this.turnId, status, text: this.finalText() });
  }

  /** The text parts of the last assistant message that has text. */
  finalText(): string {
    for (let i = this.assistantIds.length - 1; i >= 0; i--) {
      const id = this.assistantIds[i];
      const text = [...this.texts.values()]
        .filter((state) => state.messageId === id)
        .map((state) => state.text)
        .join('');
      if (text.trim() !== '') return text;
    }
    return '';
  }

  private onStatus(status: Extract<OpencodeEvent, { type: 'session.status' }>['properties']['status']): void {
    if (status.type === 'busy' || status.type === 'retry') this.busySeen = true;
    if (status.type === 'retry') {
      this.hooks.onRetry({ attempt: status.attempt, message: status.message });
    } else if (status.type === 'idle' && (this.busySeen || this.errorSeen)) {
      this.onIdle();
    }
  }

  private onIdle(): void {
    const settled = this.interruptRequested
      ? 'interrupted'
      : this.failed()
        ? 'failed'
        : this.running
          ? 'completed'
          : undefined;
    if (settled) {
      this.finish(settled);
      return;
    }
    // Idle without any assistant message: opencode's loop died early; its error event can come just after.
    this.emptyTimer ??= setTimeout(() => {
      this.errorMessage ??= 'opencode ended the turn without running it';
      this.finish('failed');
    }, EMPTY_TURN_GRACE_MS);
  }

  private failed(): boolean {
    return this.localError !== undefined || this.errorMessage !== undefined;
  }

  private routePart(event: OpencodeEvent, messageId: string): void {
    if (this.assistantIds.includes(messageId)) {
      this.onPart(event);
    } else if (!this.userIds.has(messageId) && this.pendingCount < MAX_PENDING) {
      // A part can in principle arrive before its message: keep it until the message is classified.
      const list = this.pending.get(messageId) ?? [];
      list.push(event);
      this.pending.set(messageId, list);
      this.pendingCount++;
    }
  }

  private replay(messageId: string): void {
    const events = this.pending.get(messageId);
    if (!events) return;
    this.pending.delete(messageId);
    for (const event of events) this.onPart(event);
  }

  private onPart(event: OpencodeEvent): void {
    if (event.type === 'message.part.delta') {
      const { partID, field, delta } = event.properties;
      const state = this.texts.get(partID);
      if (!state || field !== 'text' || delta === '') return;
      state.emitted += delta;
      state.text = state.text.length >= state.emitted.length ? state.text : state.emitted;
      this.emit({ type: 'text-delta', turnId: this.turnId, delta });
      return;
    }
    if (event.type === 'message.part.updated') this.onPartUpdated(event.properties.part);
  }

  private onPartUpdated(part: Part): void {
    switch (part.type) {
      case 'text': {
        if (part.synthetic || part.ignored) return;
        const state = this.texts.get(part.id) ?? { messageId: part.messageID, text: '', emitted: '' };
        this.texts.set(part.id, state);
        state.text = part.text;
        // Deltas normally carry the text; a full update that got ahead of them is emitted as the rest.
        if (part.text.length > state.emitted.length && part.text.startsWith(state.emitted)) {
          const rest = part.text.slice(state.emitted.length);
          state.emitted = part.text;
          this.emit({ type: 'text-delta', turnId: this.turnId, delta: rest });
        }
        return;
      }
      case 'tool': {
        const call = toolCallOf(part, this.turnId, this.mcpServers);
        if (call && !this.calls.has(part.callID)) {
          this.calls.add(part.callID);
          this.emit(call);
        }
        const result = toolResultOf(part, this.turnId, this.mcpServers);
        if (result && !this.results.has(part.callID)) {
          this.results.add(part.callID);
          this.emit(result);
        }
        return;
      }
      case 'step-finish':
        this.steps.set(part.id, {
          input: part.tokens.input,
          output: part.tokens.output,
          cached: part.tokens.cache.read,
        });
        return;
      default:
        return;
    }
  }
}
