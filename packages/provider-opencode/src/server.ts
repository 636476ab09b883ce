import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { type Logger, signalProcessGroup } from '@nanoclaw/core';
import { OpencodeProviderError } from './errors.js';

/** How `opencode serve` announces itself on stdout. */
export const LISTENING_PATTERN = /opencode server listening on (https?:\/\/[^\s]+)/;

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KB of stderr and stdout. */
  output: string;
}

/** A running `opencode serve`. */
export interface OpencodeServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pid: number;
  readonly alive: boolean;
  /** Resolves once the process exited (never rejects). */
  readonly exited: Promise<ServerExit>;
  /** SIGTERM to the process group, SIGKILL after `graceMs` (default 2 s). Idempotent. */
  close(graceMs?: number): Promise<ServerExit>;
}

export interface StartServerOptions {
  binary: string;
  env: Record<string, string>;
  cwd: string;
  logger: Logger;
  startTimeoutMs: number;
  /** Extra `serve` arguments (e.g. `--print-logs`). */
  args?: readonly string[];
}

const OUTPUT_TAIL = 8_000;

/** Port-taken failures of a spawn retried with another port. */
const PORT_ATTEMPTS = 3;
/** opencode 1.18.33 exits with `Error: Unexpected error … ServeError` when the port is taken. */
const ADDRESS_IN_USE = /EADDRINUSE|address already in use|ServeError/i;

/**
 * Spawns `opencode serve --hostname=127.0.0.1 --port=<free port>` in its own process group (so `close()` also
 * ends MCP servers and anything else it started) and resolves with the URL from its `listening` line (always
 * parsed, never guessed). The port is picked here rather than with `--port=0`, which tries 4096 first: every
 * server then has its own origin, so a keep-alive socket pooled for a server that is gone is never reused for
 * its successor (that reset the new server's event stream), and servers on one host never race for 4096.
 */
export async function startOpencodeServer(options: StartServerOptions): Promise<OpencodeServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnServer(options, await freePort());
    } catch (error) {
      const taken = error instanceof OpencodeProviderError && ADDRESS_IN_USE.test(error.message);
      if (!taken || attempt >= PORT_ATTEMPTS) throw error;
      options.logger.debug({ attempt }, 'opencode serve: port taken meanwhile; retrying with another');
    }
  }
}

/** A currently free loopback port (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

async function spawnServer(options: StartServerOptions, port: number): Promise<OpencodeServer> {
  let child: ChildProcess;
  try {
    child = spawn(
      options.binary,
      ['serve', '--hostname=127.0.0.1', `--port=${port}`, ...(options.args ?? [])],
      {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (error) {
    throw new OpencodeProviderError('binary-missing', `cannot run ${options.binary}: ${String(error)}`, {
      cause: error,
    });
  }
  let output = '';
  let alive = true;
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  const exited = new Promise<ServerExit>((resolve) => {
    child.once('error', (error) => {
      append(Buffer.from(`\n${String(error)}\n`));
      if (child.pid === undefined) {
        alive = false;
        resolve({ code: null, signal: null, output });
      }
    });
    child.once('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal, output });
    });
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    append(chunk);
    options.logger.trace({ stderr: chunk.toString('utf8').trimEnd() }, 'opencode stderr');
  });

  const url = await new Promise<string>((resolve, reject) => {
    let stdoutBuffer = '';
    const timer = setTimeout(() => {
      signalProcessGroup(child, 'SIGKILL');
      reject(
        new OpencodeProviderError(
          'server-exited',
          `opencode serve did not listen within ${options.startTimeoutMs} ms: ${output.trim()}`,
        ),
      );
    }, options.startTimeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      append(chunk);
      stdoutBuffer += chunk.toString('utf8');
      const match = LISTENING_PATTERN.exec(stdoutBuffer);
      if (match?.[1]) {
        clearTimeout(timer);
        stdoutBuffer = '';
        resolve(match[1].replace(/\/$/, ''));
      } else if (stdoutBuffer.length > OUTPUT_TAIL) {
        stdoutBuffer = stdoutBuffer.slice(-1_000);
      }
    });
    exited.then((exit) => {
      clearTimeout(timer);
      const how = exit.signal ?? `code ${exit.code}`;
      reject(
        new OpencodeProviderError(
          child.pid === undefined ? 'binary-missing' : 'server-exited',
          `opencode serve exited before listening (${how}): ${exit.output.trim()}`,
        ),
      );
    }, reject);
  });

  let closing: Promise<ServerExit> | undefined;
  return {
    url,
    pid: child.pid as number,
    get alive() {
      return alive;
    },
    exited,
    close(graceMs = 2_000) {
      closing ??= (async () => {
        if (alive) signalProcessGroup(child, 'SIGTERM');
        const timer = setTimeout(() => signalProcessGroup(child, 'SIGKILL'), graceMs);
        const exit = await exited;
        clearTimeout(timer);
        // Whatever it started in its group (MCP servers, shells) goes too, even when it exited on its own.
        signalProcessGroup(child, 'SIGKILL');
        return exit;
      })();
      return closing;
    },
  };
}
