import { fileURLToPath } from 'node:url';
import type { AgentEvent, McpServerConfig } from '@nanoclaw/core';

/** The echo MCP server fixture as an `mcpServers` entry. */
export function echoServer(env: Record<string, string> = {}): McpServerConfig {
  const script = fileURLToPath(new URL('./__fixtures__/echo-mcp-server.mjs', import.meta.url));
  return { type: 'stdio', command: process.execPath, args: [script], env };
}

export async function collect(stream: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

export function types(events: readonly AgentEvent[]): string[] {
  return events.map((event) => event.type);
}

export function turnEnds(events: readonly AgentEvent[]): Extract<AgentEvent, { type: 'turn-end' }>[] {
  return events.filter(
    (event): event is Extract<AgentEvent, { type: 'turn-end' }> => event.type === 'turn-end',
  );
}
