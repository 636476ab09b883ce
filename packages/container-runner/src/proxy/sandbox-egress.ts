import fs from 'node:fs/promises';
import path from 'node:path';
import { EGRESS_PROXY_PORT, egressProxyEnv, type SandboxSpec } from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import { type PlannedMount, SANDBOX_PATHS } from '../mounts.js';
import type { SandboxOwner } from '../ownership.js';
import { createEgressProxy, type EgressProxy, type EgressProxyOptions, shareWith } from './egress-proxy.js';
import { EGRESS_RELAY_FILE, writeEgressRelay } from './egress-relay.js';

export const EGRESS_SOCKET_FILE = 'egress.sock';
/** Port the relay listens on inside the sandbox (its own loopback; nothing else is there). */
export const DEFAULT_EGRESS_PORT = EGRESS_PROXY_PORT;
/** What the sandbox sees instead of a real credential. */
export const EGRESS_PLACEHOLDER_SECRET = 'nanoclaw-egress-proxy-injects-the-key';

export interface SandboxEgress {
  /** Host directory holding the socket and relay, mounted read-only at /run/nanoclaw. */
  hostDir: string;
  port: number;
  proxy: EgressProxy;
  close(): Promise<void>;
}

export interface StartSandboxEgressOptions extends Omit<EgressProxyOptions, 'socketPath' | 'socketOwner'> {
  /** Holds the socket and the relay; it must not be sandbox-writable (it is mounted read-only). */
  hostDir: string;
  /**
   * The uid/gid the sandbox's processes have on the host (`sandboxHostUser`). Only it (and the host) may enter
   * `hostDir` and connect to the socket (`shareWith`): the proxy adds credentials, it is not for other users.
   */
  owner: SandboxOwner;
  /** The relay's port inside the sandbox (default 3128). */
  port?: number;
}

/**
 * The uid/gid a sandbox's processes have on the host, the one `startSandboxEgress` gives its socket to: the
 * spec's user, except under bubblewrap on a non-root host, where the kernel sees the host user (bwrap's user
 * namespace maps only that uid). Rootless docker and userns-remap map uids differently and are not handled.
 */
export function sandboxHostUser(runtime: string, user: SandboxOwner): SandboxOwner {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (runtime === 'bwrap' && uid !== undefined && gid !== undefined && uid !== 0) return { uid, gid };
  return user;
}

/** Starts the host proxy for one sandbox in `hostDir` and writes the relay next to its socket. */
export async function startSandboxEgress(options: StartSandboxEgressOptions): Promise<SandboxEgress> {
  const { hostDir, port, owner, ...proxyOptions } = options;
  await fs.mkdir(hostDir, { recursive: true, mode: 0o700 });
  await shareWith(hostDir, owner, 'dir');
  await writeEgressRelay(hostDir);
  const proxy = await createEgressProxy({
    ...proxyOptions,
    socketPath: path.join(hostDir, EGRESS_SOCKET_FILE),
    socketOwner: owner,
  });
  return {
    hostDir,
    port: port ?? DEFAULT_EGRESS_PORT,
    proxy,
    close: () => proxy.close(),
  };
}

/**
 * Turns a spec into its egress form (pure): no network of its own, the egress directory mounted read-only at
 * /run/nanoclaw, `HTTP(S)_PROXY` pointing at the relay (`NO_PROXY` for loopback), each route's base URL in the
 * env (`http://127.0.0.1:<port><prefix>`), its credentials replaced by a placeholder, and the relay started with
 * the command (`--require` for node, else a wrapper). Secrets the caller wants gone must be removed before.
 */
export function applyEgressToSpec(
  spec: SandboxSpec,
  egress: Pick<SandboxEgress, 'hostDir' | 'port' | 'proxy'>,
): SandboxSpec {
  const socket = path.posix.join(SANDBOX_PATHS.host, EGRESS_SOCKET_FILE);
  const relay = path.posix.join(SANDBOX_PATHS.host, EGRESS_RELAY_FILE);
  const env: Record<string, string> = { ...spec.env, ...egressProxyEnv(egress.port) };
  for (const route of egress.proxy.routes) {
    for (const key of route.secretEnvKeys ?? []) env[key] = EGRESS_PLACEHOLDER_SECRET;
    if (route.baseUrlEnv) env[route.baseUrlEnv] = `http://127.0.0.1:${egress.port}${route.prefix}`;
  }
  env.NANOCLAW_EGRESS_PORT = String(egress.port);
  env.NANOCLAW_EGRESS_SOCKET = socket;
  const [program, ...args] = spec.command;
  if (program === undefined) throw new SandboxError('invalid-argument', 'sandbox command is empty');
  const isNode = program === 'node' || program.endsWith('/node');
  const command = isNode
    ? [program, '--require', relay, ...args]
    : ['/usr/bin/node', relay, '--', ...spec.command];
  const mount: PlannedMount = {
    kind: 'host',
    hostPath: egress.hostDir,
    containerPath: SANDBOX_PATHS.host,
    readonly: true,
    within: egress.hostDir,
  };
  return { ...spec, network: 'none', env, command, mounts: [...spec.mounts, mount] };
}
