import { AGENT_PROVIDER_SPEC_VERSION, type AgentProvider, errorMessage } from '@nanoclaw/core';
import { codexProvider } from '@nanoclaw/provider-codex';
import { mockProvider } from '@nanoclaw/provider-mock';
import { describe, expect, it } from 'vitest';
import {
  factoryName,
  loadProvider,
  ProviderNotInstalledError,
  UnsupportedProviderVersionError,
} from './load-provider.js';

const fake: AgentProvider = {
  specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
  id: 'external',
  startSession: async () => {
    throw new Error('unused');
  },
  isSessionInvalid: () => false,
};

describe('loadProvider', () => {
  it('has the mock and codex built in', async () => {
    expect(await loadProvider('mock')).toBe(mockProvider);
    expect(await loadProvider('codex')).toBe(codexProvider);
  });

  it('takes the default export of @nanoclaw/provider-<id>', async () => {
    const specifiers: string[] = [];
    const provider = await loadProvider('external', async (specifier) => {
      specifiers.push(specifier);
      return { default: fake };
    });
    expect(provider).toBe(fake);
    expect(specifiers).toEqual(['@nanoclaw/provider-external']);
  });

  it('falls back to create<Id>Provider()', async () => {
    const provider = await loadProvider('claude-code', async () => ({
      createClaudeCodeProvider: () => fake,
    }));
    expect(provider).toBe(fake);
  });

  it('says clearly when the package is not installed', async () => {
    const error = await loadProvider('nonesuch').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderNotInstalledError);
    expect(errorMessage(error)).toBe('provider nonesuch is not installed in this runner');
  });

  it("refuses a provider of another specification version, naming it, its version and the runner's", async () => {
    const old = { ...fake, specificationVersion: 'v0' } as unknown as AgentProvider;
    const error = await loadProvider('external', async () => ({ default: old })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedProviderVersionError);
    expect(errorMessage(error)).toBe(
      'unsupported provider specification version "v0" for provider external: this runner supports providers ' +
        'that implement specification version "v1"',
    );
    expect(error).toMatchObject({ code: 'unsupported-provider-version', version: 'v0', supported: 'v1' });
  });

  it('rejects a package that exports no provider', async () => {
    await expect(loadProvider('odd', async () => ({ something: 1 }))).rejects.toThrow(
      /exports neither a default provider nor createOddProvider\(\)/,
    );
  });

  it('does not hide other import failures', async () => {
    const boom = Object.assign(new Error('syntax error in provider'), { code: 'ERR_SOMETHING' });
    await expect(
      loadProvider('broken', async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
  });

  it('derives factory names', () => {
    expect(factoryName('codex')).toBe('createCodexProvider');
    expect(factoryName('open-code')).toBe('createOpenCodeProvider');
  });
});
