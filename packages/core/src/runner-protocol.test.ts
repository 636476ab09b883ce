import { describe, expect, it } from 'vitest';
import { agentActionSchema, runEventParamsSchema, sessionStartParamsSchema } from './runner-protocol.js';

describe('runner protocol schemas', () => {
  it('fills session defaults and refuses a missing turn timeout', () => {
    const params = sessionStartParamsSchema.parse({
      protocolVersion: 1,
      provider: 'mock',
      cwd: '/workspace/group',
      turnTimeoutMs: 60_000,
    });
    expect(params.heartbeatMs).toBe(5_000);
    expect(params.mcpServers).toEqual({});
    expect(
      sessionStartParamsSchema.safeParse({ protocolVersion: 1, provider: 'mock', cwd: '/w' }).success,
    ).toBe(false);
  });

  it('refuses an action that tries to name its group', () => {
    expect(agentActionSchema.safeParse({ tool: 'send_message', text: 'hi' }).success).toBe(true);
    expect(agentActionSchema.safeParse({ tool: 'send_message', text: 'hi', groupId: 'other' }).success).toBe(
      false,
    );
  });

  it('checks schedules inside actions', () => {
    const ok = agentActionSchema.safeParse({
      tool: 'schedule_task',
      prompt: 'brief me',
      schedule: { kind: 'cron', expression: '0 6 * * *' },
    });
    expect(ok.success).toBe(true);
    expect(
      agentActionSchema.safeParse({ tool: 'schedule_task', prompt: 'x', schedule: { kind: 'hourly' } })
        .success,
    ).toBe(false);
  });

  it('carries agent events', () => {
    const params = { runId: 'r1', event: { type: 'text-delta', turnId: 't', delta: 'a' } };
    expect(runEventParamsSchema.parse(params)).toEqual(params);
  });
});
