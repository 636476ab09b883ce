import { Deferred } from '@nanoclaw/provider-utils';
import type { Event as OpencodeEvent } from '@opencode-ai/sdk/v2';
import { bodyMessage } from './errors.js';

export interface CompactionResult {
  ok: boolean;
  error?: string;
}

/**
 * One `session.summarize` run: opencode answers the request at once, then compacts as a busy → idle cycle
 * with `session.compacted` on success. Ok = compacted and idle again without an error.
 */
export class CompactionTracker extends Deferred<CompactionResult> {
  private busySeen = false;
  private compacted = false;
  private error: string | undefined;
  private gaveUp = false;

  constructor(private readonly options: { maxRetries: number; onGiveUp: () => void }) {
    super();
  }

  handle(event: OpencodeEvent): void {
    if (this.settled) return;
    if (event.type === 'session.compacted') {
      this.compacted = true;
    } else if (event.type === 'session.error') {
      const error = event.properties.error;
      if (error?.name !== 'MessageAbortedError')
        this.error = bodyMessage(error, 'opencode reported an error');
    } else if (event.type === 'session.status') {
      const status = event.properties.status;
      if (status.type === 'busy') this.busySeen = true;
      else if (status.type === 'retry') this.onRetry(status.attempt, status.message);
      else if (status.type === 'idle' && (this.busySeen || this.error !== undefined)) this.settle();
    }
  }

  private onRetry(attempt: number, message: string): void {
    this.busySeen = true;
    if (attempt <= this.options.maxRetries || this.gaveUp) return;
    this.gaveUp = true;
    this.error = `the compaction request failed ${attempt} times: ${message}`;
    this.options.onGiveUp();
  }

  private settle(): void {
    if (this.compacted && this.error === undefined) this.resolve({ ok: true });
    else this.resolve({ ok: false, error: this.error ?? 'opencode went idle without compacting' });
  }
}
