import type { ToolPart } from '@opencode-ai/sdk/v2';
import { describe, expect, it } from 'vitest';
import { toolCallOf, toolIdentity, toolResultOf } from './parts.js';

function part(tool: string, state: ToolPart['state']): ToolPart {
  return { id: 'prt_1', sessionID: 'ses_1', messageID: 'msg_1', type: 'tool', callID: 'call_1', tool, state };
}

describe('toolIdentity', () => {
  it('maps bash to command, configured MCP servers to mcp, the rest to builtin', () => {
    expect(toolIdentity('bash', [])).toEqual({ kind: 'command', name: 'bash' });
    expect(toolIdentity('echo_send_message', ['echo'])).toEqual({ kind: 'mcp', name: 'echo.send_message' });
    expect(toolIdentity('my_server_x', ['my.server'])).toEqual({ kind: 'mcp', name: 'my.server.x' });
    expect(toolIdentity('a_b_x', ['a', 'a_b'])).toEqual({ kind: 'mcp', name: 'a_b.x' });
    expect(toolIdentity('write', ['echo'])).toEqual({ kind: 'builtin', name: 'write' });
    expect(toolIdentity('echo_x', [])).toEqual({ kind: 'builtin', name: 'echo_x' });
  });
});

describe('tool parts', () => {
  it('has no call while pending, a call once running, a result once finished', () => {
    expect(toolCallOf(part('bash', { status: 'pending', input: {}, raw: '' }), 't', [])).toBeUndefined();
    const running = part('bash', { status: 'running', input: { command: 'ls' }, time: { start: 1 } });
    expect(toolCallOf(running, 't', [])).toEqual({
      type: 'tool-call',
      turnId: 't',
      callId: 'call_1',
      kind: 'command',
      name: 'bash',
      input: { command: 'ls' },
    });
    expect(toolResultOf(running, 't', [])).toBeUndefined();
    const done = part('echo_echo', {
      status: 'completed',
      input: { text: 'x' },
      output: 'echo:x',
      title: '',
      metadata: {},
      time: { start: 1, end: 2 },
    });
    expect(toolResultOf(done, 't', ['echo'])).toEqual({
      type: 'tool-result',
      turnId: 't',
      callId: 'call_1',
      name: 'echo.echo',
      output: 'echo:x',
      isError: false,
    });
    const failed = part('read', {
      status: 'error',
      input: {},
      error: 'no such file',
      time: { start: 1, end: 2 },
    });
    expect(toolResultOf(failed, 't', [])).toMatchObject({ output: 'no such file', isError: true });
  });
});
