import { containerConfigSchema } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { createProviderResolver, detectDefaultProvider, resolveProvider } from './provider-resolution.js';
import { createRecordingLogger } from './test-support.js';

const noFile = () => false;
const config = (provider?: string) => containerConfigSchema.parse(provider ? { provider } : {});

describe('detectDefaultProvider', () => {
  it.each([
    [{ ANTHROPIC_API_KEY: 'sk-ant' }, 'claude', /ANTHROPIC_API_KEY/],
    [{ CLAUDE_CODE_OAUTH_TOKEN: 'tok' }, 'claude', /CLAUDE_CODE_OAUTH_TOKEN/],
    [{ ANTHROPIC_API_KEY: 'a', OPENAI_API_KEY: 'o' }, 'claude', /ANTHROPIC/],
    [{ OPENAI_API_KEY: 'sk-openai' }, 'codex', /OPENAI_API_KEY/],
    [{ ANTHROPIC_API_KEY: '  ' }, 'mock', /no agent credentials/],
    [{}, 'mock', /no agent credentials/],
  ])('%j → %s', (env, id, reason) => {
    const result = detectDefaultProvider({ env, homeDir: '/home/u', fileExists: noFile });
    expect(result.id).toBe(id);
    expect(result.reason).toMatch(reason);
    expect(result.source).toBe(id === 'mock' ? 'no credentials' : 'credentials');
  });

  it('finds a Codex login in the injected home dir, or in CODEX_HOME', () => {
    const seen: string[] = [];
    const exists = (file: string) => {
      seen.push(file);
      return file === '/home/u/.codex/auth.json' || file === '/opt/codex/auth.json';
    };
    expect(detectDefaultProvider({ env: {}, homeDir: '/home/u', fileExists: exists }).id).toBe('codex');
    expect(detectDefaultProvider({ env: {}, homeDir: '/home/other', fileExists: exists }).id).toBe('mock');
    expect(
      detectDefaultProvider({ env: { CODEX_HOME: '/opt/codex' }, homeDir: '/x', fileExists: exists }).id,
    ).toBe('codex');
    expect(seen).toContain('/home/other/.codex/auth.json');
  });
});

describe('resolveProvider', () => {
  const defaultProvider = {
    id: 'claude',
    reason: 'ANTHROPIC_API_KEY is set',
    source: 'credentials' as const,
  };

  it('walks session → group → container.json → AGENT_PROVIDER → default', () => {
    const fallback = { agentProvider: 'opencode', defaultProvider };
    const group = { agentProvider: 'codex', containerConfig: config('mock') };
    expect(resolveProvider({ session: { agentProvider: 'claude' }, group }, fallback)).toEqual({
      id: 'claude',
      source: 'session',
    });
    expect(resolveProvider({ session: { agentProvider: null }, group }, fallback)).toEqual({
      id: 'codex',
      source: 'group',
    });
    expect(resolveProvider({ group: { ...group, agentProvider: null } }, fallback)).toEqual({
      id: 'mock',
      source: 'container.json',
    });
    expect(resolveProvider({ group: { agentProvider: null, containerConfig: config() } }, fallback)).toEqual({
      id: 'opencode',
      source: 'AGENT_PROVIDER',
    });
    expect(
      resolveProvider({ group: { agentProvider: null, containerConfig: null } }, { defaultProvider }),
    ).toEqual({
      id: 'claude',
      source: 'credentials',
    });
  });
});

describe('createProviderResolver', () => {
  /** What a resolver made with `options` answers for a group without a provider setting, and what it logged. */
  const resolveUnset = (options: { homeDir?: string; agentProvider?: string }) => {
    const logger = createRecordingLogger();
    const resolver = createProviderResolver({ env: {}, fileExists: noFile, logger, ...options });
    return { logger, resolved: resolver.resolve({ group: { agentProvider: null, containerConfig: null } }) };
  };

  it('logs a mock default loudly, once', () => {
    const { logger, resolved } = resolveUnset({ homeDir: '/none' });
    expect(resolved).toEqual({ id: 'mock', source: 'no credentials' });
    expect(
      logger.lines.filter((l) => l.level === 'warn' && /NO AGENT PROVIDER/.test(l.message)),
    ).toHaveLength(1);
  });

  it('does not warn when AGENT_PROVIDER names one', () => {
    const { logger, resolved } = resolveUnset({ agentProvider: 'codex' });
    expect(resolved).toEqual({ id: 'codex', source: 'AGENT_PROVIDER' });
    expect(logger.lines).toEqual([]);
  });
});
