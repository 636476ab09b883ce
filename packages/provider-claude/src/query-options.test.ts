import { describe, expect, it } from 'vitest';
import { buildQueryOptions, type QueryPlan, toEffort, toSdkMcpServers } from './query-options.js';

const plan: QueryPlan = {
  cwd: '/workspace/group',
  env: { PATH: '/bin' },
  binary: '/opt/claude',
  model: 'claude-sonnet-4-5',
  effort: 'high',
  instructions: 'You are Andy.',
  systemPrompt: 'claude_code',
  settingSources: ['project'],
  mcpServers: {},
  extra: {},
};

describe('query options', () => {
  it('maps stdio and http MCP servers to the SDK shape', () => {
    expect(
      toSdkMcpServers({
        local: { type: 'stdio', command: '/usr/bin/node', args: ['s.js'], env: { A: '1' } },
        remote: { type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { authorization: 'Bearer x' } },
      }),
    ).toEqual({
      local: { type: 'stdio', command: '/usr/bin/node', args: ['s.js'], env: { A: '1' } },
      remote: { type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { authorization: 'Bearer x' } },
    });
  });

  it("gives a server's toolTimeoutMs to the SDK as its timeout (ms), only where set", () => {
    const servers = toSdkMcpServers({
      ask: { type: 'stdio', command: 'node', args: [], env: {}, toolTimeoutMs: 3_900_000 },
      remote: { type: 'http', url: 'http://127.0.0.1:9/mcp', headers: {}, toolTimeoutMs: 1_500 },
      plain: { type: 'stdio', command: 'node', args: [], env: {} },
    });
    expect(servers.ask).toMatchObject({ type: 'stdio', timeout: 3_900_000 });
    expect(servers.remote).toMatchObject({ type: 'http', timeout: 1_500 });
    expect(servers.plain).not.toHaveProperty('timeout');
  });

  it('bypasses permissions, streams partial messages and appends instructions to the claude_code prompt', () => {
    const options = buildQueryOptions(plan, { resume: 'abc' });
    expect(options).toMatchObject({
      cwd: '/workspace/group',
      env: { PATH: '/bin' },
      pathToClaudeCodeExecutable: '/opt/claude',
      permissionMode: 'bypassPermissions',
      allowDangerouslySkipPermissions: true,
      includePartialMessages: true,
      mcpServersDelivery: 'initialize',
      model: 'claude-sonnet-4-5',
      effort: 'high',
      resume: 'abc',
      settingSources: ['project'],
      systemPrompt: { type: 'preset', preset: 'claude_code', append: 'You are Andy.' },
    });
    expect(buildQueryOptions({ ...plan, systemPrompt: 'sdk' }, {}).systemPrompt).toBe('You are Andy.');
    expect(buildQueryOptions({ ...plan, extra: { maxTurns: 3 } }, {}).maxTurns).toBe(3);
  });

  it('maps effort', () => {
    expect(toEffort('minimal')).toBe('low');
    expect(toEffort('xhigh')).toBe('xhigh');
    expect(toEffort(undefined)).toBeUndefined();
  });
});
