import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@nanoclaw/core';
import { Command, CommanderError } from 'commander';
import { type HostConfig, loadConfig } from '../config.js';
import { ensureApiToken } from '../http/api-token.js';
import { createHttpApi, type HttpApi } from '../http/http-api.js';
import { createFakeHostApi, type FakeHostApi } from '../http/test-utils.js';
import { type CommandDeps, registerCommands } from './register-commands.js';

export { silentLogger };

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  root: string;
  dataDir: string;
  homeDir: string;
  api: FakeHostApi;
  httpApi: HttpApi;
  port: number;
  config: HostConfig;
  /** Runs `nanoclaw <args>` in-process against the fake host. */
  run(args: string[], deps?: Partial<CommandDeps>): Promise<CliRun>;
  cleanup(): Promise<void>;
}

export function tempDir(prefix = 'nanoclaw-cli-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export { freePort } from '@nanoclaw/testing/loopback';

/** What a command that fails prints: exit code 1, nothing on stdout, `stderr`. */
export const failure = (stderr: string) => ({ code: 1, stdout: '', stderr });

export function configFor(root: string, env: Record<string, string>): HostConfig {
  return loadConfig({ env: { NANOCLAW_DATA_DIR: path.join(root, 'data'), TZ: 'UTC', ...env }, cwd: root });
}

export async function runCli(args: string[], deps: CommandDeps): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const program = new Command()
    .name('nanoclaw')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        stdout += text;
      },
      writeErr: (text) => {
        stderr += text;
      },
    });
  registerCommands(program, {
    setExitCode: (value) => {
      code = value;
    },
    ...deps,
    // Collected for the result, and passed on to the test's own sinks (a terminal model) when it gives them.
    stdout: {
      write: (text: string) => {
        stdout += text;
        deps.stdout?.write(text);
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
        deps.stderr?.write(text);
      },
    },
  });
  try {
    await program.parseAsync(['node', 'nanoclaw', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode;
  }
  return { code, stdout, stderr };
}

/** A fake host behind the real HTTP API, a data dir with its token, and a config pointing at both. */
export async function createCliHarness(): Promise<CliHarness> {
  const root = tempDir();
  const dataDir = path.join(root, 'data');
  const homeDir = path.join(root, 'home');
  fs.mkdirSync(homeDir);
  const token = ensureApiToken(dataDir);
  const api = createFakeHostApi();
  const httpApi = createHttpApi({ api, token, logger: silentLogger, port: 0 });
  const url = await httpApi.listen();
  const port = Number(new URL(url).port);
  const config = configFor(root, { NANOCLAW_HTTP_PORT: String(port) });
  return {
    root,
    dataDir,
    homeDir,
    api,
    httpApi,
    port,
    config,
    run: (args, deps = {}) => runCli(args, { loadConfig: () => config, env: {}, homeDir, ...deps }),
    cleanup: async () => {
      await httpApi.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds (for effects that land a moment later, like a server seeing a disconnect). */
export async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
