import type { Readable, Writable } from 'node:stream';
import type { NetworkMode, ResourceLimits } from './container-config.js';

export const CONTAINER_RUNTIME_SPEC_VERSION = 'v1' as const;

export type RuntimeName = 'docker' | 'apple' | 'bwrap' | 'process';

export interface SandboxMount {
  /** Absolute host path, already resolved with realpath and checked by the caller. */
  hostPath: string;
  /** Absolute path inside the sandbox. */
  containerPath: string;
  readonly: boolean;
}

export interface SandboxSpec {
  /** Unique name, also used for the container name. */
  name: string;
  /** Image for image-based runtimes (docker, apple); ignored by bwrap/process. */
  image?: string;
  /**
   * Root file system tree for runtimes without images (bwrap): its `usr`, `etc` and `var` are bound read-only.
   * Absent: the runtime's own minimal tree (node only, no shell). Ignored by docker/apple/process.
   */
  rootfs?: string;
  /** Program and arguments inside the sandbox. */
  command: readonly string[];
  /** Working directory inside the sandbox. */
  cwd: string;
  /** The complete environment: nothing else from the host reaches the sandbox. */
  env: Readonly<Record<string, string>>;
  mounts: readonly SandboxMount[];
  /** `proxy` is `none` plus a host socket mount; the runtime only sees `full` or `none`. */
  network: Exclude<NetworkMode, 'proxy'>;
  limits: ResourceLimits;
  /** Labels (docker) used to find orphans: install id, group, session. */
  labels: Readonly<Record<string, string>>;
  /** The uid/gid the agent runs as; never 0. */
  user: { uid: number; gid: number };
}

export interface SandboxExit {
  code: number | null;
  signal: string | null;
}

export interface SandboxProcess {
  readonly name: string;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<SandboxExit>;
  /** Stops the sandbox for real (the container, not only the client process). */
  kill(): Promise<void>;
}

export interface SandboxInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
  running: boolean;
}

export type RuntimeAvailability = { ok: true; detail: string } | { ok: false; reason: string; hint: string };

/** One way to run a sandbox: Docker/Podman, Apple Container, bubblewrap, or a plain process (dev only). */
export interface ContainerRuntime {
  readonly specificationVersion: typeof CONTAINER_RUNTIME_SPEC_VERSION;
  readonly name: RuntimeName;
  /** Whether this runtime can run here, and if not how to fix it. */
  available(): Promise<RuntimeAvailability>;
  spawn(spec: SandboxSpec): Promise<SandboxProcess>;
  /** Sandboxes carrying all the given labels, ours or left over from a crash. */
  list(labels: Readonly<Record<string, string>>): Promise<SandboxInfo[]>;
  /** Stops and removes a sandbox by name; a missing one is not an error. */
  stop(name: string): Promise<void>;
}
