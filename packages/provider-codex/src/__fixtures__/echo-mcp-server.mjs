// A tiny MCP stdio server for tests: newline-delimited JSON-RPC 2.0 on stdin/stdout.
// Tools: echo {text} → text; fail {} → isError; slow {ms} → "slept"; env {name} → the env value.
import { createInterface } from 'node:readline';

const tools = [
  { name: 'echo', description: 'Echoes text', inputSchema: { type: 'object' } },
  { name: 'fail', description: 'Always fails', inputSchema: { type: 'object' } },
  { name: 'slow', description: 'Waits', inputSchema: { type: 'object' } },
  { name: 'env', description: 'Reads an env var', inputSchema: { type: 'object' } },
];

const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
const text = (value, isError = false) => ({ content: [{ type: 'text', text: value }], isError });

async function callTool(name, args) {
  if (name === 'echo') return text(`echo:${args.text ?? ''}`);
  if (name === 'fail') return text('tool failed on purpose', true);
  if (name === 'slow') {
    await new Promise((resolve) => setTimeout(resolve, Number(args.ms ?? 1000)));
    return text('slept');
  }
  if (name === 'env') return text(process.env[args.name] ?? '(unset)');
  return undefined;
}

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
    const result = await callTool(message.params.name, message.params.arguments ?? {});
    if (result) send({ id: message.id, result });
    else send({ id: message.id, error: { code: -32602, message: `Unknown tool: ${message.params.name}` } });
  } else {
    send({ id: message.id, error: { code: -32601, message: `method not found: ${message.method}` } });
  }
});
process.stdin.on('end', () => process.exit(0));
