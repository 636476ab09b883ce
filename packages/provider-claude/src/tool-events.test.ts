import { describe, expect, it } from 'vitest';
import { toolCallOf, toolFailureOf, toolKind, toolOutputText, toolResultOf } from './tool-events.js';

describe('tool events', () => {
  it('classifies Bash as command, mcp__* as mcp, the rest as builtin', () => {
    expect(toolKind('Bash')).toBe('command');
    expect(toolKind('mcp__nanoclaw__send_message')).toBe('mcp');
    expect(toolKind('Write')).toBe('builtin');
    expect(toolCallOf({ tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 't1' })).toEqual({
      callId: 't1',
      kind: 'command',
      name: 'Bash',
      input: { command: 'ls' },
    });
  });

  it('renders hook tool responses as text', () => {
    expect(toolOutputText('plain')).toBe('plain');
    expect(toolOutputText({ stdout: 'out', stderr: 'err', interrupted: false })).toBe('out\nerr');
    expect(toolOutputText([{ type: 'text', text: 'echo:ping' }])).toBe('echo:ping');
    expect(
      toolOutputText({
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      }),
    ).toBe('a\nb');
    expect(toolOutputText({ type: 'create', filePath: '/x' })).toBe('{"type":"create","filePath":"/x"}');
    expect(toolOutputText(undefined)).toBe('');
  });

  it('marks failures and MCP errors', () => {
    expect(
      toolResultOf({
        tool_name: 'mcp__a__fail',
        tool_response: { content: [], isError: true },
        tool_use_id: 't',
      }).isError,
    ).toBe(true);
    expect(toolFailureOf({ tool_name: 'Bash', error: 'exit 1', tool_use_id: 't' })).toEqual({
      callId: 't',
      name: 'Bash',
      output: 'exit 1',
      isError: true,
    });
  });
});
