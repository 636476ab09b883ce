import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentEvent, McpServerConfig } from '@nanoclaw/core';
import { writeEchoMcpServer } from '@nanoclaw/testing';

let echoScript: string | undefined;

/** The echo MCP server (from @nanoclaw/testing) as an `mcpServers` entry. */
export function echoServer(env: Record<string, string> = {}): McpServerConfig {
  echoScript ??= writeEchoMcpServer(fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-echo-mcp-')));
  const script = echoScript;
  return { type: 'stdio', command: process.execPath, args: [script], env };
}

export function turnEnds(events: readonly AgentEvent[]): Extract<AgentEvent, { type: 'turn-end' }>[] {
  return events.filter(
    (event): event is Extract<AgentEvent, { type: 'turn-end' }> => event.type === 'turn-end',
  );
}
