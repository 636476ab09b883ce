import type { SandboxOwner } from '@nanoclaw/container-runner';
import type { SandboxImagesStatus } from '@nanoclaw/sandbox-image';
import type { Command } from 'commander';
import { type HostConfig, loadConfig } from '../../config.js';
import { hostSandboxImages } from '../../host/default-pool.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { EXIT, writeResult } from '../cli-io.js';
import { blocksStart, formatDoctorReport } from '../doctor/doctor-check.js';
import { runDoctor } from '../doctor/run-doctor.js';
import { probeRuntime, type RuntimeProbe } from '../doctor/system-checks.js';

export interface DoctorDeps extends CliDeps {
  /** Default: asks the real runtimes (`detectRuntime` for `auto`). */
  probeRuntime?: (name: 'auto' | 'docker' | 'apple' | 'bwrap' | 'process') => Promise<RuntimeProbe>;
  /** Default: the agent userland cache as the configuration places it. */
  userlandStatus?: (config: HostConfig) => Promise<SandboxImagesStatus>;
  nodeVersion?: string;
  /** Default: the uid:gid the agent pool runs sandboxes as. */
  sandboxUser?: SandboxOwner;
}

export function registerDoctorCommand(program: Command, deps: DoctorDeps, context: CliContext): void {
  program
    .command('doctor')
    .description(
      'check what the host needs (works without a running host); exits 1 if the host or its agents cannot run',
    )
    .option('--json', 'print the checks as JSON')
    .action(
      action(deps, context, async (options: { json?: boolean }) => {
        const checks = await runDoctor({
          loadConfig: deps.loadConfig ?? (() => loadConfig()),
          env: context.env,
          homeDir: context.homeDir,
          fetch: context.fetch,
          probeRuntime: deps.probeRuntime ?? probeRuntime,
          userlandStatus: deps.userlandStatus ?? ((config) => hostSandboxImages(config).status()),
          ...(deps.nodeVersion === undefined ? {} : { nodeVersion: deps.nodeVersion }),
          ...(deps.sandboxUser === undefined ? {} : { sandboxUser: deps.sandboxUser }),
        });
        writeResult(context.stdout, options.json, checks, formatDoctorReport);
        return blocksStart(checks) ? EXIT.failure : EXIT.ok;
      }),
    );
}
