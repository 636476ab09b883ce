import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The relay inside a `network: 'proxy'` sandbox, as self-contained CommonJS (it runs on the sandbox's node,
 * outside any bundle). It listens on 127.0.0.1:$NANOCLAW_EGRESS_PORT and pipes every connection to the host
 * proxy's unix socket at $NANOCLAW_EGRESS_SOCKET.
 *
 * - preloaded (`node --require <relay> /app/main.js`): the server runs inside the runner process (unref'd);
 * - as a program (`node <relay> -- <command...>`): starts the server, runs the command with inherited stdio,
 *   and exits with its code.
 */
export const EGRESS_RELAY_SOURCE = `'use strict';
const net = require('node:net');
const port = Number(process.env.NANOCLAW_EGRESS_PORT);
const socketPath = process.env.NANOCLAW_EGRESS_SOCKET;
function startRelay() {
  if (!port || !socketPath || globalThis.__nanoclawEgressRelay) return;
  const server = net.createServer((client) => {
    const upstream = net.connect(socketPath);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close);
    upstream.on('error', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.on('error', (error) => process.stderr.write(JSON.stringify({ level: 'error', msg: 'egress relay failed', err: String(error) }) + '\\n'));
  server.listen(port, '127.0.0.1');
  server.unref();
  globalThis.__nanoclawEgressRelay = server;
}
startRelay();
if (require.main === module) {
  const separator = process.argv.indexOf('--');
  const command = separator === -1 ? [] : process.argv.slice(separator + 1);
  if (command.length === 0) {
    process.stderr.write('usage: node egress-relay.cjs -- <command> [args...]\\n');
    process.exit(2);
  }
  globalThis.__nanoclawEgressRelay && globalThis.__nanoclawEgressRelay.ref();
  const child = require('node:child_process').spawn(command[0], command.slice(1), { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => { process.stderr.write(String(error) + '\\n'); process.exit(127); });
  child.on('exit', (code, signal) => process.exit(code === null ? 128 + (signal === 'SIGKILL' ? 9 : 15) : code));
}
`;

export const EGRESS_RELAY_FILE = 'egress-relay.cjs';

/** Writes the relay script into `dir` (read-only, world-readable: it is mounted into the sandbox). */
export async function writeEgressRelay(dir: string): Promise<string> {
  const file = path.join(dir, EGRESS_RELAY_FILE);
  await fs.rm(file, { force: true });
  await fs.writeFile(file, EGRESS_RELAY_SOURCE, { mode: 0o444 });
  await fs.chmod(file, 0o444);
  return file;
}
