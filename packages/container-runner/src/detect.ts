import type { ContainerRuntime, Logger, RuntimeName } from '@nanoclaw/core';
import { SandboxError } from './errors.js';
import { assertSupportedRuntime } from './runtime-version.js';
import { type AppleRuntimeOptions, createAppleRuntime } from './runtimes/apple.js';
import { type BwrapRuntimeOptions, createBwrapRuntime } from './runtimes/bwrap.js';
import { createDockerRuntime, type DockerRuntimeOptions } from './runtimes/docker.js';
import { createProcessRuntime, type ProcessRuntimeOptions } from './runtimes/process.js';

export interface RuntimeOptions {
  docker?: DockerRuntimeOptions;
  apple?: AppleRuntimeOptions;
  bwrap?: BwrapRuntimeOptions;
  process?: ProcessRuntimeOptions;
  logger?: Logger;
}

export interface DetectedRuntime {
  runtime: ContainerRuntime;
  detail: string;
  /** Runtimes tried before (and why they did not fit). */
  skipped: Array<{ name: RuntimeName; reason: string }>;
}

/**
 * `auto`: Docker/Podman if an engine answers, else Apple Container on macOS, else bubblewrap if a probe sandbox
 * runs; otherwise an error saying how to install one. Never falls back to the unisolated `process` runtime.
 */
export async function detectRuntime(
  options: RuntimeOptions & { platform?: NodeJS.Platform } = {},
): Promise<DetectedRuntime> {
  const platform = options.platform ?? process.platform;
  const withLogger = <T extends object>(o: T | undefined): T =>
    ({ ...(options.logger ? { logger: options.logger } : {}), ...o }) as T;
  const candidates: Array<() => ContainerRuntime> = [() => createDockerRuntime(withLogger(options.docker))];
  if (platform === 'darwin') candidates.push(() => createAppleRuntime(withLogger(options.apple)));
  if (platform === 'linux') candidates.push(() => createBwrapRuntime(withLogger(options.bwrap)));
  const skipped: DetectedRuntime['skipped'] = [];
  const hints: string[] = [];
  for (const make of candidates) {
    const runtime = assertSupportedRuntime(make());
    const availability = await runtime.available();
    if (availability.ok) return { runtime, detail: availability.detail, skipped };
    skipped.push({ name: runtime.name, reason: availability.reason });
    hints.push(`- ${runtime.name}: ${availability.reason} (${availability.hint})`);
  }
  const install =
    platform === 'darwin'
      ? 'install Docker Desktop or Apple Container (https://github.com/apple/container)'
      : platform === 'linux'
        ? 'install Docker (apt-get install docker.io) or bubblewrap (apt-get install bubblewrap)'
        : 'install Docker';
  throw new SandboxError(
    'runtime-unavailable',
    `no sandbox runtime is usable here; ${install}.\n${hints.join('\n')}`,
  );
}

/**
 * A runtime by name; `auto` detects one. `process` still needs `process: { unsafeAllowNoIsolation: true }`.
 * Refuses a runtime of another specification version (`unsupported-runtime-version`).
 */
export async function createRuntime(
  name: RuntimeName | 'auto',
  options: RuntimeOptions = {},
): Promise<ContainerRuntime> {
  return assertSupportedRuntime(await runtimeByName(name, options));
}

async function runtimeByName(name: RuntimeName | 'auto', options: RuntimeOptions): Promise<ContainerRuntime> {
  const logger = options.logger ? { logger: options.logger } : {};
  switch (name) {
    case 'auto':
      return (await detectRuntime(options)).runtime;
    case 'docker':
      return createDockerRuntime({ ...logger, ...options.docker });
    case 'apple':
      return createAppleRuntime({ ...logger, ...options.apple });
    case 'bwrap':
      return createBwrapRuntime({ ...logger, ...options.bwrap });
    case 'process':
      return createProcessRuntime({ ...logger, ...options.process });
  }
}
