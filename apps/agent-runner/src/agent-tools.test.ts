import { agentActionSchema } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { agentTools, isAgentToolName, parseToolCall } from './agent-tools.js';

describe('agentTools', () => {
  it('has one tool per agentActionSchema variant', () => {
    const variants = agentActionSchema.options.map((v) => v.shape.tool.value);
    expect(agentTools.map((t) => t.name)).toEqual(variants);
    expect(agentTools.map((t) => t.name)).toEqual([
      'send_message',
      'schedule_task',
      'list_tasks',
      'pause_task',
      'resume_task',
      'cancel_task',
      'update_task',
      'register_group',
      'list_chats',
      'ask_user_question',
    ]);
  });

  it('describes each in one line and gives a JSON Schema object without the discriminator', () => {
    for (const tool of agentTools) {
      expect(tool.description).toMatch(/^[^\n]{10,200}$/);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.inputSchema).not.toHaveProperty('$schema');
      expect(tool.inputSchema.properties ?? {}).not.toHaveProperty('tool');
    }
    const send = agentTools.find((t) => t.name === 'send_message');
    expect(send?.inputSchema).toMatchObject({
      additionalProperties: false,
      properties: {
        text: { type: 'string' },
        chat: { type: 'string' },
        attachments: {
          type: 'array',
          maxItems: 10,
          items: { type: 'string' },
          description: expect.stringContaining('/workspace/group/out/chart.png or out/chart.png'),
        },
      },
    });
    expect(send?.inputSchema.required ?? []).not.toContain('text');
  });

  it('parses a call into an action, or explains what is wrong', () => {
    expect(parseToolCall('pause_task', { taskId: 't-1' })).toEqual({
      ok: true,
      action: { tool: 'pause_task', taskId: 't-1' },
    });
    expect(parseToolCall('list_chats', undefined)).toEqual({ ok: true, action: { tool: 'list_chats' } });
    const bad = parseToolCall('send_message', { text: 'hi', extra: 1 });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^invalid arguments for send_message: /);
    // The arguments cannot pick another tool.
    expect(parseToolCall('list_tasks', { tool: 'cancel_task' })).toEqual({
      ok: true,
      action: { tool: 'list_tasks' },
    });
  });

  it('knows its tool names', () => {
    expect(isAgentToolName('schedule_task')).toBe(true);
    expect(isAgentToolName('rm_rf')).toBe(false);
  });
});
