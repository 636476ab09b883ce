import os from 'node:os';
import { errorMessage } from '@nanoclaw/core';
import { ConfigError, type HostConfig, loadConfig } from '../config.js';
import { apiTokenPath, readApiToken } from '../http/api-token.js';
import { CliError, EXIT, type TextSink, writeLine } from './cli-io.js';
import { createHostClient, type HostClient } from './host-client.js';

/** What the commands use from the outside world; every field has a default, tests replace them. */
export interface CliDeps {
  stdout?: TextSink;
  stderr?: TextSink;
  stdin?: NodeJS.ReadableStream;
  /** Default: sets `process.exitCode`. */
  setExitCode?: (code: number) => void;
  /** Default: `loadConfig()` (the environment and `<cwd>/.env`, as the host reads them). */
  loadConfig?: () => HostConfig;
  env?: Readonly<Record<string, string | undefined>>;
  homeDir?: string;
  platform?: NodeJS.Platform;
  fetch?: typeof fetch;
}

export interface CliContext {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly platform: NodeJS.Platform;
  readonly fetch: typeof fetch;
  /** The configuration (loaded once); a bad one is a `CliError` with exit code 78. */
  config(): HostConfig;
  /** A client for the host this configuration describes. */
  client(): HostClient;
}

export function createCliContext(deps: CliDeps = {}): CliContext {
  let config: HostConfig | undefined;
  let client: HostClient | undefined;
  const context: CliContext = {
    stdout: deps.stdout ?? process.stdout,
    stderr: deps.stderr ?? process.stderr,
    stdin: deps.stdin ?? process.stdin,
    env: deps.env ?? process.env,
    homeDir: deps.homeDir ?? os.homedir(),
    platform: deps.platform ?? process.platform,
    fetch: deps.fetch ?? fetch,
    config() {
      config ??= loadConfigOrFail(deps.loadConfig ?? (() => loadConfig()));
      return config;
    },
    client() {
      client ??= clientFor(context.config(), context.fetch);
      return client;
    },
  };
  return context;
}

/** The URL the CLI reaches the host on: a wildcard bind address is reached on loopback. */
export function hostBaseUrl(config: HostConfig): string {
  if (config.NANOCLAW_HTTP_PORT === 0) {
    throw new CliError(
      'NANOCLAW_HTTP_PORT is 0 (any free port), so the CLI cannot find the host: set a fixed port',
    );
  }
  const host = config.NANOCLAW_HTTP_HOST;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const shown = reachable.includes(':') ? `[${reachable}]` : reachable;
  return `http://${shown}:${config.NANOCLAW_HTTP_PORT}`;
}

function clientFor(config: HostConfig, fetchImpl: typeof fetch): HostClient {
  return createHostClient({
    baseUrl: hostBaseUrl(config),
    token: () => readApiToken(config.NANOCLAW_DATA_DIR),
    tokenSource: apiTokenPath(config.NANOCLAW_DATA_DIR),
    fetch: fetchImpl,
  });
}

function loadConfigOrFail(load: () => HostConfig): HostConfig {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.config);
    throw error;
  }
}

/**
 * Wraps a command's action: a `CliError` becomes `nanoclaw: <message>` on stderr and its exit code; anything
 * else is reported the same way with exit code 1 (no stack trace).
 */
export function action<Args extends unknown[]>(
  deps: CliDeps,
  context: CliContext,
  run: (...args: Args) => Promise<number | undefined>,
): (...args: Args) => Promise<void> {
  const setExitCode =
    deps.setExitCode ??
    ((code: number) => {
      process.exitCode = code;
    });
  return async (...args) => {
    try {
      setExitCode((await run(...args)) ?? EXIT.ok);
    } catch (error) {
      writeLine(context.stderr, `nanoclaw: ${errorMessage(error)}`);
      setExitCode(error instanceof CliError ? error.exitCode : EXIT.failure);
    }
  };
}
