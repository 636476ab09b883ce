import { AGENT_PROVIDER_SPEC_VERSION, type AgentProvider, NanoclawError } from '@nanoclaw/core';
import { claudeProvider } from '@nanoclaw/provider-claude';
import { codexProvider } from '@nanoclaw/provider-codex';
import { mockProvider } from '@nanoclaw/provider-mock';
import { opencodeProvider } from '@nanoclaw/provider-opencode';

/** Thrown when the host names a provider whose package this runner does not carry. */
export class ProviderNotInstalledError extends NanoclawError<'provider-not-installed'> {
  constructor(
    readonly providerId: string,
    options?: { cause?: unknown },
  ) {
    super('provider-not-installed', `provider ${providerId} is not installed in this runner`, options);
    this.name = 'ProviderNotInstalledError';
  }
}

/** Thrown for a provider that implements another `AgentProvider` specification version than this runner. */
export class UnsupportedProviderVersionError extends NanoclawError<'unsupported-provider-version'> {
  readonly supported = AGENT_PROVIDER_SPEC_VERSION;

  constructor(
    readonly providerId: string,
    readonly version: unknown,
  ) {
    super(
      'unsupported-provider-version',
      `unsupported provider specification version ${JSON.stringify(version)} for provider ${providerId}: ` +
        `this runner supports providers that implement specification version "${AGENT_PROVIDER_SPEC_VERSION}"`,
    );
    this.name = 'UnsupportedProviderVersionError';
  }
}

export type ModuleImporter = (specifier: string) => Promise<Record<string, unknown>>;

// A variable specifier keeps bundlers from trying to resolve provider packages at build time.
const importModule: ModuleImporter = (specifier) => import(specifier) as Promise<Record<string, unknown>>;

/** Providers bundled into the runner (their native programs come from the host; see the agent pool). */
const BUILT_IN: Readonly<Record<string, AgentProvider>> = {
  mock: mockProvider,
  claude: claudeProvider,
  codex: codexProvider,
  opencode: opencodeProvider,
};

/**
 * The provider the host resolved, by id: the bundled ones (`mock`, `claude`, `codex`, `opencode`) first; any other id loads `@nanoclaw/provider-<id>` and
 * takes its default export (a provider) or calls its `create<Id>Provider()`. There is no env fallback.
 */
export async function loadProvider(
  id: string,
  importer: ModuleImporter = importModule,
): Promise<AgentProvider> {
  const builtIn = Object.hasOwn(BUILT_IN, id) ? BUILT_IN[id] : undefined;
  if (builtIn) return supported(builtIn, id);
  const specifier = `@nanoclaw/provider-${id}`;
  let mod: Record<string, unknown>;
  try {
    mod = await importer(specifier);
  } catch (error) {
    if (isModuleNotFound(error, specifier)) throw new ProviderNotInstalledError(id, { cause: error });
    throw error;
  }
  const provider = providerFromModule(mod, id);
  if (!provider) {
    throw new Error(
      `${specifier} exports neither a default provider nor ${factoryName(id)}(); cannot load provider ${id}`,
    );
  }
  return supported(provider, id);
}

/** `provider`, when it implements the specification version this runner speaks. */
function supported(provider: AgentProvider, id: string): AgentProvider {
  if (provider.specificationVersion !== AGENT_PROVIDER_SPEC_VERSION) {
    throw new UnsupportedProviderVersionError(id, provider.specificationVersion);
  }
  return provider;
}

/** `codex` → `createCodexProvider`, `claude-code` → `createClaudeCodeProvider`. */
export function factoryName(id: string): string {
  const pascal = id
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return `create${pascal}Provider`;
}

function providerFromModule(mod: Record<string, unknown>, id: string): AgentProvider | undefined {
  if (isProvider(mod.default)) return mod.default;
  const factory = mod[factoryName(id)];
  if (typeof factory === 'function') {
    const created: unknown = factory();
    if (isProvider(created)) return created;
  }
  return undefined;
}

function isProvider(value: unknown): value is AgentProvider {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<AgentProvider>;
  return typeof candidate.startSession === 'function' && typeof candidate.isSessionInvalid === 'function';
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return notFound && typeof message === 'string' && message.includes(specifier);
}
