import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerRuntime, SandboxMount, SandboxProcess, SandboxSpec } from '@nanoclaw/core';
import { expect, it } from 'vitest';
import { type ContractSuite, describeContract } from './contract-suite.js';
import { CONTRACT_FIXTURE_DIR, CONTRACT_FIXTURES } from './runtime-contract-fixtures.js';

/** Limits as read back from a running sandbox; every field given is compared with the spec. */
export interface ContractLimits {
  memoryBytes?: number;
  nanoCpus?: number;
  pids?: number;
  readonlyRootfs?: boolean;
  capDrop?: readonly string[];
  securityOpt?: readonly string[];
  user?: string;
}

export type ContractAvailability = { ok: true } | { ok: false; reason: string; required: boolean };

export interface RuntimeContractOptions {
  /**
   * Whether the runtime can run here. Unavailable and `required` (e.g. Docker when CI=true): the suite FAILS with
   * the reason. Unavailable and not required (a dev machine): skipped, and the reason is printed.
   */
  availability?: ContractAvailability | (() => Promise<ContractAvailability>);
  /** Image for image-based runtimes. */
  image?: string;
  /** The sandbox user (default 1000:1000). */
  user?: { uid: number; gid: number };
  /** Env keys the runtime itself adds besides the spec's (e.g. docker: HOSTNAME, bwrap: PWD). */
  allowedExtraEnv?: readonly string[];
  /** False for the unisolated `process` runtime: skips the uid, read-only mount and cwd checks. */
  isolated?: boolean;
  /** Reads back what limits a running sandbox got; omit when the runtime cannot tell. */
  readLimits?: (proc: SandboxProcess, spec: SandboxSpec) => Promise<ContractLimits>;
  /** `reapOrphans` from @nanoclaw/container-runner (passed in so this kit does not depend on it). */
  reapOrphans?: (options: {
    runtime: ContainerRuntime;
    installId: string;
    liveSessions: Iterable<string>;
  }) => Promise<{ stopped: string[] }>;
  /** Extra proof that a killed sandbox is gone (docker: the container no longer exists). */
  assertGone?: (name: string) => Promise<void>;
  /** Per-test timeout (default 60 s). */
  timeoutMs?: number;
}

const INSTALL_LABEL = 'nanoclaw.install';
const SESSION_LABEL = 'nanoclaw.session';
const HOST_SECRET_KEY = 'NANOCLAW_CONTRACT_HOST_SECRET';

/**
 * The contract every `ContainerRuntime` passes: stdio streaming, stdin EOF, exit codes, a real `kill()`,
 * `list(labels)`, orphan reaping, limits, and an environment that holds only what the spec gave.
 * Call it at the top level of a test file: `runtimeContract('docker', () => createDockerRuntime(), {...})`.
 */
export function runtimeContract(
  name: string,
  makeRuntime: () => ContainerRuntime,
  options: RuntimeContractOptions = {},
): void {
  const suite = new RuntimeSuite(name, makeRuntime, options);
  describeContract(
    `runtime contract: ${name}`,
    suite,
    [processCases, lifecycleCases, limitCases],
    'per-suite',
  );
}

/** The state of one `runtimeContract` suite (one runtime, fixture dirs, the sandboxes it started) and its helpers. */
class RuntimeSuite implements ContractSuite {
  readonly name: string;
  readonly options: RuntimeContractOptions;
  readonly timeout: number;
  readonly isolated: boolean;
  readonly suiteId = randomBytes(4).toString('hex');
  readonly installId: string;
  runtime!: ContainerRuntime;
  fixtureDir = '';
  rwDir = '';
  roDir = '';
  skipReason: string | undefined;
  readonly started: SandboxProcess[] = [];
  readonly #makeRuntime: () => ContainerRuntime;
  readonly #user: { uid: number; gid: number };
  #counter = 0;

  constructor(name: string, makeRuntime: () => ContainerRuntime, options: RuntimeContractOptions) {
    this.name = name;
    this.options = options;
    this.#makeRuntime = makeRuntime;
    this.timeout = options.timeoutMs ?? 60_000;
    this.#user = options.user ?? { uid: 1000, gid: 1000 };
    this.isolated = options.isolated ?? true;
    this.installId = `contract-${name}-${this.suiteId}`;
  }

  async setUp(): Promise<void> {
    const availability =
      typeof this.options.availability === 'function'
        ? await this.options.availability()
        : (this.options.availability ?? { ok: true });
    if (!availability.ok) {
      if (availability.required)
        throw new Error(`${this.name} runtime is required here but unavailable: ${availability.reason}`);
      this.skipReason = availability.reason;
      console.warn(`[runtime contract: ${this.name}] skipped: ${availability.reason}`);
      return;
    }
    this.runtime = this.#makeRuntime();
    const root = await fs.mkdtemp(path.join(os.tmpdir(), `nanoclaw-contract-${this.name}-`));
    await fs.chmod(root, 0o755);
    this.fixtureDir = path.join(root, 'fixtures');
    this.rwDir = path.join(root, 'rw');
    this.roDir = path.join(root, 'ro');
    await fs.mkdir(this.fixtureDir, { mode: 0o755 });
    await fs.mkdir(this.rwDir);
    await fs.mkdir(this.roDir);
    await fs.chmod(this.rwDir, 0o777);
    await fs.chmod(this.roDir, 0o777);
    for (const [file, source] of Object.entries(CONTRACT_FIXTURES)) {
      await fs.writeFile(path.join(this.fixtureDir, file), source, { mode: 0o644 });
    }
    process.env[HOST_SECRET_KEY] = `host-secret-${this.suiteId}`;
  }

  async tearDown(): Promise<void> {
    delete process.env[HOST_SECRET_KEY];
    if (!this.runtime) return;
    await Promise.allSettled(this.started.map((p) => p.kill()));
    const leftovers = await this.runtime.list({ [INSTALL_LABEL]: this.installId }).catch(() => []);
    await Promise.allSettled(leftovers.map((s) => this.runtime.stop(s.name)));
    if (this.fixtureDir) await fs.rm(path.dirname(this.fixtureDir), { recursive: true, force: true });
  }

  mounts(): SandboxMount[] {
    return [
      { hostPath: this.fixtureDir, containerPath: CONTRACT_FIXTURE_DIR, readonly: true },
      { hostPath: this.rwDir, containerPath: '/workspace/group', readonly: false },
      { hostPath: this.roDir, containerPath: '/workspace/global', readonly: true },
    ];
  }

  readonly makeSpec = (
    fixture: string,
    args: string[] = [],
    overrides: Partial<SandboxSpec> = {},
  ): SandboxSpec => {
    const counter = ++this.#counter;
    return {
      name: `nc-contract-${this.suiteId}-${counter}`,
      ...(this.options.image ? { image: this.options.image } : {}),
      command: ['/usr/bin/node', `${CONTRACT_FIXTURE_DIR}/${fixture}`, ...args],
      cwd: '/workspace/group',
      env: { HOME: '/home/agent', PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', NANOCLAW_CONTRACT: 'yes' },
      mounts: this.mounts(),
      network: 'none',
      limits: { memoryMb: 256, cpus: 1, pids: 128 },
      labels: { [INSTALL_LABEL]: this.installId, [SESSION_LABEL]: `s-${counter}` },
      user: this.#user,
      ...overrides,
    };
  };

  readonly spawn = async (spec: SandboxSpec) => {
    const proc = await this.runtime.spawn(spec);
    this.started.push(proc);
    return proc;
  };

  /** A case, skipped when the runtime cannot run here (`setUp` printed why). */
  readonly guarded = (title: string, fn: () => Promise<void>) =>
    it(
      title,
      async (ctx) => {
        if (this.skipReason) {
          ctx.skip();
          return;
        }
        await fn();
      },
      this.timeout,
    );
}

/** Stdio, exit codes, and an environment that holds only what the spec gave. */
function processCases(suite: RuntimeSuite): void {
  const { spawn, makeSpec, guarded, options, isolated, suiteId } = suite;
  guarded('streams stdout, and stdin EOF ends the program (exit 0)', async () => {
    const proc = await spawn(makeSpec('echo.cjs'));
    const lines = lineReader(proc.stdout);
    expect(await lines.next()).toBe('ready');
    proc.stdin.write('one\ntwo\n');
    expect(await lines.next()).toBe('echo:one');
    expect(await lines.next()).toBe('echo:two');
    proc.stdin.end();
    expect(await lines.next()).toBe('bye');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  guarded('reports the exit code', async () => {
    const proc = await spawn(makeSpec('exit.cjs', ['7']));
    proc.stdin.end();
    const out = await readAll(proc.stdout);
    expect(out).toContain('exiting');
    expect((await proc.exited).code).toBe(7);
  });

  guarded('gives the sandbox only the env of the spec', async () => {
    const spec = makeSpec('introspect.cjs', ['/workspace/group', '/workspace/global']);
    const proc = await spawn(spec);
    const report = JSON.parse(await lineReader(proc.stdout).next()) as {
      env: Record<string, string>;
      uid: number;
      cwd: string;
      writeRw: string;
      writeRo: string;
    };
    proc.stdin.end();
    await proc.exited;
    const allowed = new Set([...Object.keys(spec.env), ...(options.allowedExtraEnv ?? [])]);
    const unexpected = Object.keys(report.env).filter((key) => !allowed.has(key));
    expect(unexpected, `env keys the spec did not give: ${unexpected.join(', ')}`).toEqual([]);
    for (const [key, value] of Object.entries(spec.env)) {
      if (key === 'HOME' || key === 'PATH') continue; // the process runtime maps paths
      expect(report.env[key]).toBe(value);
    }
    expect(JSON.stringify(report.env)).not.toContain(`host-secret-${suiteId}`);
    expect(report.writeRw).toBe('ok');
    if (isolated) {
      expect(report.uid).toBe(spec.user.uid);
      expect(report.cwd).toBe(spec.cwd);
      expect(report.writeRo).toMatch(/EROFS|EACCES|EPERM/);
    }
  });
}

/** A real kill, list by label, and orphan reaping. */
function lifecycleCases(suite: RuntimeSuite): void {
  const { spawn, makeSpec, guarded, installId, options } = suite;
  guarded('kill() stops the sandbox for real', async () => {
    const { runtime } = suite;
    const spec = makeSpec('sleep.cjs');
    const proc = await spawn(spec);
    expect(await lineReader(proc.stdout).next()).toBe('sleeping');
    await proc.kill();
    const exit = await proc.exited;
    expect(exit.code === 0).toBe(false);
    const listed = await runtime.list({ [INSTALL_LABEL]: installId });
    expect(listed.map((s) => s.name)).not.toContain(spec.name);
    await options.assertGone?.(spec.name);
    // A second kill and a stop of a gone sandbox are no-ops.
    await proc.kill();
    await runtime.stop(spec.name);
  });

  guarded('list(labels) finds running sandboxes by label', async () => {
    const { runtime } = suite;
    const spec = makeSpec('sleep.cjs');
    const proc = await spawn(spec);
    await lineReader(proc.stdout).next();
    const mine = await runtime.list({
      [INSTALL_LABEL]: installId,
      [SESSION_LABEL]: spec.labels[SESSION_LABEL] ?? '',
    });
    expect(mine).toHaveLength(1);
    expect(mine[0]?.name).toBe(spec.name);
    expect(mine[0]?.running).toBe(true);
    expect(mine[0]?.labels[INSTALL_LABEL]).toBe(installId);
    const other = await runtime.list({ [INSTALL_LABEL]: `${installId}-other` });
    expect(other).toEqual([]);
    await runtime.stop(spec.name);
    await proc.exited;
    const after = await runtime.list({
      [INSTALL_LABEL]: installId,
      [SESSION_LABEL]: spec.labels[SESSION_LABEL] ?? '',
    });
    expect(after.filter((s) => s.running)).toEqual([]);
  });

  guarded('orphan reaping stops a labelled sandbox no live session owns', async () => {
    if (!options.reapOrphans) return;
    const { runtime } = suite;
    const reapInstall = `${installId}-reap`;
    const liveSpec = makeSpec('sleep.cjs', [], {
      labels: { [INSTALL_LABEL]: reapInstall, [SESSION_LABEL]: 'live' },
    });
    const orphanSpec = makeSpec('sleep.cjs', [], {
      labels: { [INSTALL_LABEL]: reapInstall, [SESSION_LABEL]: 'gone' },
    });
    const live = await spawn(liveSpec);
    const orphan = await spawn(orphanSpec);
    await lineReader(live.stdout).next();
    await lineReader(orphan.stdout).next();
    const result = await options.reapOrphans({ runtime, installId: reapInstall, liveSessions: ['live'] });
    expect(result.stopped).toEqual([orphanSpec.name]);
    await orphan.exited;
    const remaining = await runtime.list({ [INSTALL_LABEL]: reapInstall });
    expect(remaining.map((s) => s.name)).toEqual([liveSpec.name]);
    await live.kill();
  });
}

/** The limits of the spec, as the runtime reads them back. */
function limitCases(suite: RuntimeSuite): void {
  const { spawn, makeSpec, guarded, options, name } = suite;
  guarded('applies the limits of the spec', async () => {
    if (!options.readLimits) return;
    const spec = makeSpec('sleep.cjs', [], { limits: { memoryMb: 192, cpus: 0.5, pids: 64 } });
    const proc = await spawn(spec);
    await lineReader(proc.stdout).next();
    const limits = await options.readLimits(proc, spec);
    // Every limit the runtime reports must be the spec's; one it cannot enforce here is left out (and said).
    if (Object.keys(limits).length === 0)
      console.warn(`[runtime contract: ${name}] the runtime enforced no limits here`);
    if (limits.memoryBytes !== undefined) expect(limits.memoryBytes).toBe(192 * 1024 * 1024);
    if (limits.pids !== undefined) expect(limits.pids).toBe(64);
    if (limits.nanoCpus !== undefined) expect(limits.nanoCpus).toBe(0.5 * 1e9);
    if (limits.readonlyRootfs !== undefined) expect(limits.readonlyRootfs).toBe(true);
    if (limits.capDrop !== undefined) expect(limits.capDrop.map((c) => c.toUpperCase())).toContain('ALL');
    if (limits.securityOpt !== undefined) expect(limits.securityOpt).toContain('no-new-privileges');
    if (limits.user !== undefined) expect(limits.user).toBe(`${spec.user.uid}:${spec.user.gid}`);
    await proc.kill();
  });
}

/** Reads a stream line by line; `next()` resolves with the next line (rejects at end of stream). */
function lineReader(stream: Readable): { next(): Promise<string> } {
  let buffer = '';
  const lines: string[] = [];
  const waiters: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  let ended = false;
  stream.setEncoding('utf8');
  const flush = () => {
    while (lines.length > 0 && waiters.length > 0) waiters.shift()?.resolve(lines.shift() as string);
    if (ended) while (waiters.length > 0) waiters.shift()?.reject(new Error('stream ended'));
  };
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let index = buffer.indexOf('\n');
    while (index !== -1) {
      lines.push(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
      index = buffer.indexOf('\n');
    }
    flush();
  });
  stream.on('end', () => {
    ended = true;
    flush();
  });
  return {
    next: () =>
      new Promise<string>((resolve, reject) => {
        waiters.push({ resolve, reject });
        flush();
      }),
  };
}

async function readAll(stream: Readable): Promise<string> {
  let out = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) out += chunk as string;
  return out;
}
