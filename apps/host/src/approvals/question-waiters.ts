import type { Approval } from './approval-store.js';
import type { QuestionOutcome } from './approvals.js';

/** The runs waiting on their questions, by approval id: settled by the decision, the expiry, or a stop. */
export class QuestionWaiters {
  readonly #waiting = new Map<string, (outcome: QuestionOutcome) => void>();

  wait(id: string): Promise<QuestionOutcome> {
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }

  settle(approval: Approval): void {
    const resolve = this.#waiting.get(approval.id);
    if (!resolve) return;
    this.#waiting.delete(approval.id);
    if (approval.status === 'answered' && approval.decision !== null) {
      resolve({
        answered: true,
        option: approval.options.indexOf(approval.decision) + 1,
        label: approval.decision,
        by: approval.decidedBy ?? 'someone',
      });
    } else {
      resolve({ answered: false, reason: approval.status === 'expired' ? 'timeout' : 'cancelled' });
    }
  }

  cancelAll(): void {
    for (const resolve of this.#waiting.values()) resolve({ answered: false, reason: 'cancelled' });
    this.#waiting.clear();
  }
}
