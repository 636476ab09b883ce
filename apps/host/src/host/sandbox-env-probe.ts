import fs from 'node:fs';
import path from 'node:path';
import type { McpServerConfig } from '@nanoclaw/core';
import { until } from './test-utils/e2e-host.js';

/**
 * A stdio MCP server for e2e tests that looks for a secret inside the sandbox: when the runtime starts it, it
 * reads `/proc/<pid>/environ` of every process it can see (the runner's env is the sandbox env; a process that
 * made itself non-dumpable is counted as unreadable), then writes what it found to
 * `/workspace/group/env-probe.json` and serves an MCP server without tools.
 */
const PROBE_SOURCE = `'use strict';
const fs = require('node:fs');
const needle = Buffer.from(process.env.PROBE_NEEDLE_B64 || '', 'base64').toString('utf8');
const report = { readable: 0, unreadable: 0, sandboxEnvSeen: false, holders: [] };
for (const pid of fs.readdirSync('/proc').filter((name) => /^\\d+$/.test(name))) {
  let environ;
  try { environ = fs.readFileSync('/proc/' + pid + '/environ', 'utf8'); } catch { report.unreadable++; continue; }
  report.readable++;
  const vars = environ.split('\\0');
  if (vars.some((v) => v.startsWith('NANOCLAW_EGRESS_SOCKET='))) report.sandboxEnvSeen = true;
  for (const v of vars) if (needle && v.includes(needle)) report.holders.push(pid + ':' + v.split('=')[0]);
}
fs.writeFileSync('/workspace/group/env-probe.json', JSON.stringify(report));
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  let m; try { m = JSON.parse(line); } catch { return; }
  if (m.id === undefined) return;
  if (m.method === 'initialize') return send({ id: m.id, result: { protocolVersion: m.params && m.params.protocolVersion || '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'env-probe', version: '1.0.0' } } });
  if (m.method === 'tools/list') return send({ id: m.id, result: { tools: [] } });
  send({ id: m.id, error: { code: -32601, message: 'method not found' } });
});
`;

export interface EnvProbeReport {
  /** Processes whose environ could be read. */
  readable: number;
  unreadable: number;
  /** True when one of them had the sandbox env (the runner's): the scan saw what the sandbox was given. */
  sandboxEnvSeen: boolean;
  /** `<pid>:<KEY>` of every variable holding the secret. */
  holders: string[];
}

/**
 * Writes the probe into the group folder and returns the container.json `mcpServers` entry that starts it
 * inside the sandbox, looking for `secret`.
 */
export function installEnvProbe(groupDir: string, secret: string): Record<string, McpServerConfig> {
  fs.mkdirSync(groupDir, { recursive: true });
  fs.writeFileSync(path.join(groupDir, 'env-probe.cjs'), PROBE_SOURCE);
  return {
    'env-probe': {
      type: 'stdio',
      command: '/usr/bin/node',
      args: ['/workspace/group/env-probe.cjs'],
      // Encoded, so that neither this config nor the probe's own env holds the secret it looks for.
      env: { PROBE_NEEDLE_B64: Buffer.from(secret).toString('base64') },
    },
  };
}

/** Waits for the probe's report (the runtime starts MCP servers with the session). */
export async function readEnvProbe(groupDir: string, timeoutMs = 30_000): Promise<EnvProbeReport> {
  const file = path.join(groupDir, 'env-probe.json');
  await until(() => fs.existsSync(file), timeoutMs);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as EnvProbeReport;
}

/** Files under `dir` whose content contains `needle` (regular files only; symlinks are not followed). */
export function grepTree(dir: string, needle: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(needle)) hits.push(file);
  }
  return hits;
}
