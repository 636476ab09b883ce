import net from 'node:net';
import type { HostConfig } from '../../config.js';
import { type DoctorCheck, fail, ok, warn } from './doctor-check.js';

export interface PortCheckOptions {
  config: HostConfig;
  fetch: typeof fetch;
  /** The token a host of this data dir uses, if it has one. */
  token: string | undefined;
  /** Where the CLI reaches the host. */
  baseUrl: string;
}

/** Free, held by this data dir's running host (fine), or held by something else (start would fail). */
export async function checkHttpPort(options: PortCheckOptions): Promise<DoctorCheck> {
  const { NANOCLAW_HTTP_HOST: host, NANOCLAW_HTTP_PORT: port } = options.config;
  const name = 'HTTP port';
  if (port === 0)
    return warn(name, 'NANOCLAW_HTTP_PORT=0: any free port', 'the CLI needs a fixed port to find the host');
  const where = `${host}:${port}`;
  const result = await tryListen(host, port);
  if (result === 'free') return ok(name, `${where} is free`);
  if (result !== 'EADDRINUSE') {
    return fail(
      name,
      `cannot listen on ${where}: ${result}`,
      'set NANOCLAW_HTTP_HOST/NANOCLAW_HTTP_PORT',
      true,
    );
  }
  const holder = await identifyHolder(options);
  if (holder.kind === 'ours')
    return ok(name, `${where} is held by the running host (NanoClaw ${holder.version})`);
  const detail =
    holder.kind === 'other-host'
      ? `${where} is held by another NanoClaw host (a different data dir?)`
      : `${where} is taken by another program`;
  return fail(name, detail, 'stop it, or set NANOCLAW_HTTP_PORT to a free port', true);
}

function tryListen(host: string, port: number): Promise<'free' | string> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

type Holder = { kind: 'ours'; version: string } | { kind: 'other-host' } | { kind: 'other' };

async function identifyHolder(options: PortCheckOptions): Promise<Holder> {
  const signal = () => AbortSignal.timeout(3_000);
  try {
    if (options.token !== undefined) {
      const response = await options.fetch(`${options.baseUrl}/api/v1/status`, {
        headers: { authorization: `Bearer ${options.token}` },
        signal: signal(),
      });
      if (response.ok) {
        const body = (await response.json()) as { version?: unknown };
        return { kind: 'ours', version: typeof body.version === 'string' ? body.version : '?' };
      }
      await response.body?.cancel();
    }
    const health = await options.fetch(`${options.baseUrl}/healthz`, { signal: signal() });
    const body = (await health.json().catch(() => undefined)) as { status?: unknown } | undefined;
    return health.ok && body?.status === 'ok' ? { kind: 'other-host' } : { kind: 'other' };
  } catch {
    return { kind: 'other' };
  }
}
