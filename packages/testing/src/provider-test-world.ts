/** What every provider package's tests build a world from: its directories, base env, logger and echo server. */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger, McpServerConfig } from '@nanoclaw/core';
import { writeEchoMcpServer } from './echo-mcp-server.js';
import { type LogLine, type MemoryLoggerOptions, memoryLogger } from './test-helpers.js';

/** The part of a provider test's world every provider has; its own world adds the fake and its env. */
export interface ProviderTestWorld {
  /** The world's own temp dir; everything below lives under it. */
  root: string;
  /** The session's working directory (`<root>/work`). */
  cwd: string;
  /** The runtime's HOME (`<root>/home`), so its config and state are this world's own. */
  home: string;
  /** A TMPDIR of its own (`<root>/tmp`). */
  tmp: string;
  /** The session env every provider starts from: `PATH` and `HOME`. */
  env: Record<string, string>;
  /** What `logger` recorded. */
  logs: LogLine[];
  logger: Logger;
}

/** Makes `root`'s work, home and tmp directories and a recording logger (`logOptions`: e.g. levels to skip). */
export function providerTestWorld(root: string, logOptions: MemoryLoggerOptions = {}): ProviderTestWorld {
  const cwd = path.join(root, 'work');
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  for (const dir of [cwd, home, tmp]) fs.mkdirSync(dir, { recursive: true });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home };
  const logs: LogLine[] = [];
  return { root, cwd, home, tmp, env, logs, logger: memoryLogger(logs, {}, logOptions) };
}

/**
 * `echoServer(env)` for a test module: the echo MCP server (tools: echo, fail, slow, env) as an `mcpServers`
 * entry, its script written once, into the directory `makeDir()` returns.
 */
export function echoServerEntry(makeDir: () => string): (env?: Record<string, string>) => McpServerConfig {
  let script: string | undefined;
  return (env = {}) => {
    script ??= writeEchoMcpServer(makeDir());
    return { type: 'stdio', command: process.execPath, args: [script], env };
  };
}
