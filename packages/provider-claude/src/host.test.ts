import fs from 'node:fs';
import { AGENT_PROVIDER_SPEC_VERSION } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { claudeHostContribution, createClaudeHostContribution } from './host.js';

describe('claudeHostContribution', () => {
  it('declares id, env allowlist and home dir', () => {
    expect(claudeHostContribution.specificationVersion).toBe(AGENT_PROVIDER_SPEC_VERSION);
    expect(claudeHostContribution.id).toBe('claude');
    expect(claudeHostContribution.homeDir).toBe('.claude');
    expect(claudeHostContribution.envAllowlist).toEqual(
      expect.arrayContaining([
        'ANTHROPIC_API_KEY',
        'CLAUDE_CODE_OAUTH_TOKEN',
        'ANTHROPIC_BASE_URL',
        'ANTHROPIC_MODEL',
        'CLAUDE_MODEL',
      ]),
    );
    expect(claudeHostContribution.credentialEnvKeys).toEqual([
      'ANTHROPIC_API_KEY',
      'CLAUDE_CODE_OAUTH_TOKEN',
      'ANTHROPIC_AUTH_TOKEN',
    ]);
    expect(createClaudeHostContribution({ id: 'claude-2' }).id).toBe('claude-2');
  });

  it('resolves the pinned native binary for the sandbox', () => {
    const binary = claudeHostContribution.resolveBinary?.();
    expect(binary?.envKey).toBe('CLAUDE_CODE_BIN');
    expect(fs.existsSync(binary?.path ?? '')).toBe(true);
  });

  it('describes which credential is in use', () => {
    const describe = claudeHostContribution.describeCredentials;
    expect(describe({})).toBeNull();
    expect(describe({ ANTHROPIC_BASE_URL: 'http://gw:8080' })).toBeNull();
    expect(describe({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat-x' })).toBe(
      'Claude subscription token (CLAUDE_CODE_OAUTH_TOKEN)',
    );
    expect(describe({ ANTHROPIC_API_KEY: 'sk-ant-x', CLAUDE_MODEL: 'claude-opus-4-5' })).toBe(
      'Anthropic API key (ANTHROPIC_API_KEY), model claude-opus-4-5',
    );
    expect(describe({ ANTHROPIC_API_KEY: 'k', CLAUDE_CODE_OAUTH_TOKEN: 't' })).toBe(
      'Anthropic API key (ANTHROPIC_API_KEY); it wins over CLAUDE_CODE_OAUTH_TOKEN',
    );
    expect(describe({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://gw:8080' })).toBe(
      'API key at http://gw:8080 (ANTHROPIC_API_KEY)',
    );
  });
});

describe('claudeEgress: model traffic through the host', () => {
  const egress = (env: Record<string, string>) => claudeHostContribution.egress?.(env);
  const route = {
    prefix: '/anthropic',
    allowPaths: ['/v1/messages', '/v1/models'],
    check: { path: '/v1/models', headers: { 'anthropic-version': '2023-06-01' } },
    baseUrlEnv: 'ANTHROPIC_BASE_URL',
  };

  it('ANTHROPIC_API_KEY becomes x-api-key, added by the host on the way to Anthropic', () => {
    expect(egress({ ANTHROPIC_API_KEY: 'sk-ant' })).toEqual({
      routes: [
        {
          ...route,
          upstream: 'https://api.anthropic.com',
          setHeaders: { 'x-api-key': { env: 'ANTHROPIC_API_KEY' } },
          secretEnvKeys: ['ANTHROPIC_API_KEY'],
        },
      ],
    });
  });

  it('ANTHROPIC_AUTH_TOKEN is a bearer token; a gateway in ANTHROPIC_BASE_URL is the upstream', () => {
    expect(
      egress({ ANTHROPIC_AUTH_TOKEN: 'tok', ANTHROPIC_BASE_URL: 'https://gw.example/anthropic' }),
    ).toEqual({
      routes: [
        {
          ...route,
          upstream: 'https://gw.example/anthropic',
          setHeaders: { authorization: { env: 'ANTHROPIC_AUTH_TOKEN', prefix: 'Bearer ' } },
          secretEnvKeys: ['ANTHROPIC_AUTH_TOKEN'],
        },
      ],
    });
  });

  it('CLAUDE_CODE_OAUTH_TOKEN is a bearer token, only when no API key wins over it', () => {
    expect(egress({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat' })?.routes[0]).toMatchObject({
      setHeaders: { authorization: { env: 'CLAUDE_CODE_OAUTH_TOKEN', prefix: 'Bearer ' } },
      secretEnvKeys: ['CLAUDE_CODE_OAUTH_TOKEN'],
    });
    // Claude Code uses the API key then: the subscription token has no route, so it stays on the host.
    expect(
      egress({ ANTHROPIC_API_KEY: 'k', CLAUDE_CODE_OAUTH_TOKEN: 't' })?.routes[0]?.secretEnvKeys,
    ).toEqual(['ANTHROPIC_API_KEY']);
    expect(egress({})).toEqual({ routes: [] });
  });
});
