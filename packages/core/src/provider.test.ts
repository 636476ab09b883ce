import { describe, expect, it } from 'vitest';
import { agentEventSchema, providerErrorCodeSchema } from './provider.js';

describe('agentEventSchema', () => {
  it('round-trips every event kind a turn can stream', () => {
    const events = [
      { type: 'turn-start', turnId: 't1', input: { text: 'hi' } },
      { type: 'text-delta', turnId: 't1', delta: 'Hel' },
      {
        type: 'tool-call',
        turnId: 't1',
        callId: 'c1',
        kind: 'mcp',
        name: 'send_message',
        input: { text: 'x' },
      },
      { type: 'tool-result', turnId: 't1', callId: 'c1', name: 'send_message', output: 'ok', isError: false },
      { type: 'usage', turnId: 't1', inputTokens: 10, cachedInputTokens: 0, outputTokens: 3 },
      { type: 'compaction-end', ok: true, reason: 'threshold' },
      { type: 'error', turnId: 't1', message: 'model said 500', code: 'model-error', retryable: true },
      { type: 'turn-end', turnId: 't1', status: 'failed', text: '' },
    ];
    for (const event of events) expect(agentEventSchema.parse(event)).toEqual(event);
  });

  it('refuses an unknown event type', () => {
    expect(agentEventSchema.safeParse({ type: 'turn-explode', turnId: 't' }).success).toBe(false);
  });
});

describe('providerErrorCodeSchema', () => {
  it('is a closed list: an error event with a code outside it is refused', () => {
    const error = { type: 'error', message: 'boom', retryable: false } as const;
    expect(agentEventSchema.safeParse({ ...error, code: 'request-failed' }).success).toBe(true);
    expect(agentEventSchema.safeParse({ ...error, code: 'rpc-error' }).success).toBe(false);
    expect(providerErrorCodeSchema.options).toContain('runtime-exited');
  });
});
