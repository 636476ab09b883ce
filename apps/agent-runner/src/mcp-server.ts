#!/usr/bin/env node
/**
 * The agent's tool server: an MCP stdio server the provider spawns. Every tool call goes to the runner's main
 * process over the unix socket in NANOCLAW_RUNNER_SOCKET, and from there to the host as `agent/action`.
 */
import { forwardAction } from './action-bridge.js';
import { serveAgentTools } from './agent-tools-server.js';

const socketPath = process.env.NANOCLAW_RUNNER_SOCKET;
if (!socketPath) {
  process.stderr.write('nanoclaw mcp-server: NANOCLAW_RUNNER_SOCKET is not set\n');
  process.exit(2);
}

await serveAgentTools({
  input: process.stdin,
  output: process.stdout,
  forward: (action) => forwardAction(socketPath, action),
});
process.exit(0);
