import type { TurnInput } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { LoopSession } from './loop-session.js';
import { LoopTurn } from './loop-turn.js';
import type { CompactionReason, EmitEvent } from './run-loop.js';

class EchoSession extends LoopSession<LoopTurn> {
  readonly continuation = 'c1';
  stopped = 0;

  constructor() {
    super({ providerId: 'echo' }, 'echo', (message) => new Error(message));
  }

  protected createTurn(): LoopTurn {
    return new LoopTurn();
  }

  protected async runTurn(turn: LoopTurn, input: TurnInput, emit: EmitEvent): Promise<void> {
    emit({ type: 'turn-start', turnId: 't', input });
    turn.finish('completed');
    emit({ type: 'turn-end', turnId: 't', status: 'completed', text: input.text });
  }

  protected interruptTurn(turn: LoopTurn): void {
    turn.finish('interrupted');
  }

  protected async runCompaction(reason: CompactionReason, emit: EmitEvent): Promise<void> {
    emit({ type: 'compaction-end', ok: true, reason });
  }

  protected async stopRuntime(): Promise<void> {
    this.stopped++;
  }
}

describe('LoopSession', () => {
  it('answers prompt, push, compact, interrupt and close through its run loop', async () => {
    const session = new EchoSession();
    expect(session.specificationVersion).toBe('v1');
    expect(session.provider).toBe('echo');
    await session.compact();
    const types: string[] = [];
    for await (const event of session.prompt({ text: 'hi' })) types.push(event.type);
    expect(types).toEqual(['compaction-end', 'turn-start', 'turn-end']);
    expect(session.busy).toBe(false);
    expect(session.push({ text: 'late' })).toBe(false);
    await session.interrupt();
    await session.close();
    await session.close();
    expect(session.stopped).toBe(1);
    await expect(session.compact()).rejects.toThrow('echo session is closed');
  });
});
