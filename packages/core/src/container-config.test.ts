import { describe, expect, it } from 'vitest';
import { containerConfigSchema } from './container-config.js';

describe('containerConfigSchema', () => {
  it('fills defaults for an empty file', () => {
    const config = containerConfigSchema.parse({});
    expect(config.network).toBe('full');
    expect(config.followUpMode).toBe('queue');
    expect(config.timeouts.idleMs).toBe(30 * 60_000);
    expect(config.limits).toEqual({ memoryMb: 1024, cpus: 1, pids: 512 });
  });

  it('accepts a full codex group', () => {
    const config = containerConfigSchema.parse({
      provider: 'codex',
      model: 'gpt-5-codex',
      reasoningEffort: 'high',
      env: { TZ: 'Europe/London' },
      additionalMounts: [{ hostPath: '~/notes', containerPath: 'notes' }],
      mcpServers: { search: { command: '/usr/bin/node', args: ['search.js'] } },
      network: 'proxy',
    });
    expect(config.additionalMounts[0]?.readonly).toBe(true);
    expect(config.mcpServers.search).toMatchObject({ type: 'stdio', command: '/usr/bin/node' });
  });

  it('names the offending key for a typo', () => {
    const result = containerConfigSchema.safeParse({ provdier: 'codex' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('provdier');
  });

  it('takes an optional toolTimeoutMs on stdio and http MCP servers, within 1 s..24 h', () => {
    const config = containerConfigSchema.parse({
      mcpServers: {
        search: { command: 'node', toolTimeoutMs: 120_000 },
        web: { type: 'http', url: 'http://127.0.0.1:1/mcp', toolTimeoutMs: 86_400_000 },
        plain: { command: 'node' },
      },
    });
    expect(config.mcpServers.search?.toolTimeoutMs).toBe(120_000);
    expect(config.mcpServers.web?.toolTimeoutMs).toBe(86_400_000);
    expect(config.mcpServers.plain).not.toHaveProperty('toolTimeoutMs');
    for (const toolTimeoutMs of [999, 86_400_001, 1_500.5, '60000']) {
      const result = containerConfigSchema.safeParse({
        mcpServers: { search: { command: 'x', toolTimeoutMs } },
      });
      expect(result.success).toBe(false);
    }
  });

  it('reserves the nanoclaw MCP server name', () => {
    const result = containerConfigSchema.safeParse({ mcpServers: { nanoclaw: { command: 'x' } } });
    expect(result.success).toBe(false);
  });

  it.each(['../etc', '/abs', 'a:b', 'ok/../../x'])('refuses container path %s', (containerPath) => {
    const result = containerConfigSchema.safeParse({
      additionalMounts: [{ hostPath: '/tmp', containerPath }],
    });
    expect(result.success).toBe(false);
  });
});

describe('container.json packages', () => {
  it('takes Debian and npm packages, empty by default', () => {
    expect(containerConfigSchema.parse({}).packages).toEqual({ apt: [], npm: [] });
    const config = containerConfigSchema.parse({
      packages: {
        apt: ['sqlite3', 'g++', 'python3.11'],
        npm: ['semver', '@scope/tool@^1.2.0', 'typescript@5'],
      },
    });
    expect(config.packages.apt).toEqual(['sqlite3', 'g++', 'python3.11']);
    expect(config.packages.npm).toHaveLength(3);
  });

  it.each([
    [{ apt: ['-o=APT::Get::Foo'] }, 'packages.apt.0'],
    [{ apt: ['Sqlite3'] }, 'packages.apt.0'],
    [{ apt: ['ok', '../../etc'] }, 'packages.apt.1'],
    [{ npm: ['git+https://evil/x.git'] }, 'packages.npm.0'],
    [{ npm: ['file:../x'] }, 'packages.npm.0'],
    [{ npm: ['-g'] }, 'packages.npm.0'],
    [{ pip: ['x'] }, 'packages'],
    [{ apt: Array.from({ length: 21 }, (_, i) => `p${i}`) }, 'packages.apt'],
    [
      {
        apt: Array.from({ length: 12 }, (_, i) => `a${i}`),
        npm: Array.from({ length: 9 }, (_, i) => `n${i}`),
      },
      'packages',
    ],
  ])('refuses %j, naming %s', (packages, key) => {
    const result = containerConfigSchema.safeParse({ packages });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(key);
  });
});

describe('container.json skills and MCP instructions', () => {
  it('defaults skills to "all" and takes a list of names, [] for none', () => {
    expect(containerConfigSchema.parse({}).skills).toBe('all');
    expect(containerConfigSchema.parse({ skills: [] }).skills).toEqual([]);
    expect(containerConfigSchema.parse({ skills: ['pdf', 'web-search'] }).skills).toEqual([
      'pdf',
      'web-search',
    ]);
  });

  it.each([
    [{ skills: 'some' }, 'skills'],
    [{ skills: ['../etc'] }, 'skills'],
    [{ mcpServers: { notes: { command: 'notes', instructions: '' } } }, 'mcpServers'],
  ])('refuses %j under %s', (settings, key) => {
    const result = containerConfigSchema.safeParse(settings);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path[0])).toContain(key);
  });

  it("keeps an MCP server's instructions", () => {
    const parsed = containerConfigSchema.parse({
      mcpServers: { notes: { type: 'http', url: 'http://127.0.0.1:1/mcp', instructions: 'Use notes.' } },
    });
    expect(parsed.mcpServers.notes?.instructions).toBe('Use notes.');
  });
});
