import { type ChildProcess, spawn } from 'node:child_process';
import { runCommand } from '../run-command.js';
import { IN_CI, type SandboxAvailability } from './sandbox-test-env.js';

/**
 * A stand-in for "the internet" that tests may reach: a network namespace joined to the host by a veth pair
 * (host side 198.51.100.1/24, namespace side 198.51.100.2/24, a documentation range) with an HTTP server on
 * 198.51.100.2:80 that answers every request with `internet answer for <path>`. Needs root and `ip`.
 */
export interface TestInternet {
  /** `198.51.100.2:80`. */
  readonly publicTarget: string;
  /** The host's end of the veth pair: one of the host's own addresses. */
  readonly hostAddress: string;
  close(): Promise<void>;
}

const IP_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const HOST_ADDRESS = '198.51.100.1';
const NS_ADDRESS = '198.51.100.2';

const SERVER_SOURCE = `
const http = require('node:http');
http.createServer((req, res) => res.end('internet answer for ' + req.url))
  .listen(80, '${NS_ADDRESS}', () => process.stdout.write('listening\\n'));
`;

/** Root with `ip` here; else a skip on a dev machine and a failure in CI. */
export async function netnsAvailability(): Promise<SandboxAvailability> {
  if (process.platform !== 'linux')
    return { ok: false, reason: 'network namespaces are Linux only', required: IN_CI };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'creating a network namespace needs root', required: IN_CI };
  const version = await runCommand('ip', ['-V'], { env: IP_ENV, timeoutMs: 5_000 });
  if (version.code !== 0) {
    const why = version.error?.message ?? version.stderr.trim();
    return { ok: false, reason: `the ip command does not run (${why})`, required: IN_CI };
  }
  return { ok: true };
}

/** Creates the namespace, the veth pair and the server; `close()` removes all of it. */
export async function startTestInternet(): Promise<TestInternet> {
  const id = `${process.pid % 100_000}`;
  const ns = `nc-inet-${id}`;
  const hostLink = `nch${id}`;
  const nsLink = `ncn${id}`;
  let server: ChildProcess | undefined;
  const close = async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    }
    await ip(['netns', 'del', ns]).catch(() => {});
    await ip(['link', 'del', hostLink]).catch(() => {});
  };
  try {
    await ip(['netns', 'add', ns]);
    await ip(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nsLink]);
    await ip(['link', 'set', nsLink, 'netns', ns]);
    await ip(['addr', 'add', `${HOST_ADDRESS}/24`, 'dev', hostLink]);
    await ip(['link', 'set', hostLink, 'up']);
    await ip(['netns', 'exec', ns, 'ip', 'addr', 'add', `${NS_ADDRESS}/24`, 'dev', nsLink]);
    await ip(['netns', 'exec', ns, 'ip', 'link', 'set', nsLink, 'up']);
    await ip(['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER_SOURCE], {
      env: IP_ENV,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the namespace server did not start in 10 s')), 10_000);
      server?.stdout?.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      server?.once('exit', (code) => reject(new Error(`the namespace server exited with ${code}`)));
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { publicTarget: `${NS_ADDRESS}:80`, hostAddress: HOST_ADDRESS, close };
}

async function ip(args: string[]): Promise<void> {
  const result = await runCommand('ip', args, { env: IP_ENV, timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.trim()}`);
}
