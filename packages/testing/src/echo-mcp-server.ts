import fs from 'node:fs';
import path from 'node:path';

/**
 * A tiny stdio MCP server (newline-delimited JSON-RPC 2.0, ES module, no dependencies) for provider tests.
 * Tools: `echo {text}` → `echo:<text>`; `fail` → isError; `slow {ms}` → `slept`; `env {name}` → that env value.
 * Every `tools/call` is appended as a JSON line to `$ECHO_MCP_LOG` when set.
 */
export const ECHO_MCP_SERVER_SOURCE = `// A tiny MCP stdio server for tests: newline-delimited JSON-RPC 2.0 on stdin/stdout.
// Every tools/call is appended as one JSON line to $ECHO_MCP_LOG when set.
// Tools: echo {text} → text; fail {} → isError; slow {ms} → "slept"; env {name} → the env value.
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const tools = [
  { name: 'echo', description: 'Echoes text', inputSchema: { type: 'object' } },
  { name: 'fail', description: 'Always fails', inputSchema: { type: 'object' } },
  { name: 'slow', description: 'Waits', inputSchema: { type: 'object' } },
  { name: 'env', description: 'Reads an env var', inputSchema: { type: 'object' } },
];

const send = (message) => process.stdout.write(\`\${JSON.stringify({ jsonrpc: '2.0', ...message })}\\n\`);
const text = (value, isError = false) => ({ content: [{ type: 'text', text: value }], isError });

async function callTool(name, args) {
  if (name === 'echo') return text(\`echo:\${args.text ?? ''}\`);
  if (name === 'fail') return text('tool failed on purpose', true);
  if (name === 'slow') {
    await new Promise((resolve) => setTimeout(resolve, Number(args.ms ?? 1000)));
    return text('slept');
  }
  if (name === 'env') return text(process.env[args.name] ?? '(unset)');
  return undefined;
}

const logFile = process.env.ECHO_MCP_LOG;
const record = (name, args) => {
  if (logFile) appendFileSync(logFile, \`\${JSON.stringify({ name, arguments: args })}\\n\`);
};

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (!line.trim()) return;
  const message = JSON.parse(line);
  if (message.id === undefined) return;
  if (message.method === 'initialize') {
    send({
      id: message.id,
      result: {
        protocolVersion: message.params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: 'echo-mcp', version: '1.0.0' },
      },
    });
  } else if (message.method === 'tools/list') {
    send({ id: message.id, result: { tools } });
  } else if (message.method === 'tools/call') {
    record(message.params.name, message.params.arguments ?? {});
    const result = await callTool(message.params.name, message.params.arguments ?? {});
    if (result) send({ id: message.id, result });
    else send({ id: message.id, error: { code: -32602, message: \`Unknown tool: \${message.params.name}\` } });
  } else {
    send({ id: message.id, error: { code: -32601, message: \`method not found: \${message.method}\` } });
  }
});
process.stdin.on('end', () => process.exit(0));
`;

/** Writes the echo MCP server into `dir` and returns its path (run it with `process.execPath <path>`). */
export function writeEchoMcpServer(dir: string): string {
  const file = path.join(dir, 'echo-mcp-server.mjs');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, ECHO_MCP_SERVER_SOURCE);
  return file;
}

/** The calls recorded in an `$ECHO_MCP_LOG` file (empty when it does not exist yet). */
export function readEchoMcpLog(file: string): { name: string; arguments: Record<string, unknown> }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { name: string; arguments: Record<string, unknown> });
}
