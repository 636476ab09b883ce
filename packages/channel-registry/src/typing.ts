import type { Timers } from './backoff.js';

export interface TypingTrackerOptions {
  /** Renew interval while typing is on (Telegram's indicator fades after 5 s). */
  refreshMs: number;
  timers: Timers;
  sendTyping(chatId: string): Promise<void>;
  onError(chatId: string, error: unknown): void;
}

export interface TypingTracker {
  /** Sends a typing action now (errors propagate) and renews it until `stop`. */
  start(chatId: string): Promise<void>;
  stop(chatId: string): void;
  stopAll(): void;
}

/** Keeps "typing…" visible per chat by renewing the chat action; renewal errors are reported, not thrown. */
export function createTypingTracker(options: TypingTrackerOptions): TypingTracker {
  const active = new Map<string, unknown>();
  const schedule = (chatId: string) => {
    const handle = options.timers.setTimeout(() => {
      if (active.get(chatId) !== handle) return;
      options.sendTyping(chatId).catch((error: unknown) => options.onError(chatId, error));
      schedule(chatId);
    }, options.refreshMs);
    active.set(chatId, handle);
  };
  const stop = (chatId: string) => {
    const handle = active.get(chatId);
    if (handle !== undefined) options.timers.clearTimeout(handle);
    active.delete(chatId);
  };
  return {
    async start(chatId) {
      stop(chatId);
      await options.sendTyping(chatId);
      schedule(chatId);
    },
    stop,
    stopAll() {
      for (const chatId of [...active.keys()]) stop(chatId);
    },
  };
}
