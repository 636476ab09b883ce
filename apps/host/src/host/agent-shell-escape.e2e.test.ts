import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  createFakeResponsesServer,
  type FakeResponsesServer,
  type FakeResponsesStep,
} from '@nanoclaw/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import type { RunningHost } from '../start-host.js';
import {
  attemptCommand,
  ESCAPE_ATTEMPTS,
  type EscapeVerdict,
  type EscapeWorld,
  judgeAttempt,
} from './shell-escape-attempts.js';
import { resolveRuntimes, shellRuntimes } from './test-runtimes.js';
import { ask, startTestHost } from './test-utils/e2e-host.js';

/**
 * The escape suite through the agent's own shell: Codex (the real binary, in a real sandbox, behind the host)
 * runs each attempt of `ESCAPE_ATTEMPTS` with its `exec_command` tool (`/bin/bash -lc`, as for any command a
 * model asks for), once from a group with the default network (`full`) and once from a group with `none`. The
 * host plants secrets where the agent must not read, listens on every address, and checks afterwards that
 * nothing changed. In bwrap and docker every attempt must run and be blocked. Not in the unisolated `process`
 * runtime: there they would succeed by design, as writes to the real host.
 * Each run prints the count and the list; `NANOCLAW_TEST_ESCAPE_OUTPUT=1` also prints every attempt's output.
 */
const targets = await resolveRuntimes(shellRuntimes(), { isolatedOnly: true });

/** The attacking groups: the default container.json (network `full`) and network `none`. */
const ATTACKERS = {
  'attacker-full': { provider: 'codex', model: 'fake-model' },
  'attacker-none': { provider: 'codex', model: 'fake-model', network: 'none' },
} as const;
const HOST_ENV_MARKER = 'NANOCLAW_ESCAPE_HOST_SECRET';

for (const target of targets) {
  describe.skipIf(!target.runtime)(`escape through the agent's shell (${target.name})`, () => {
    let root: string;
    let outside: string;
    let fake: FakeResponsesServer;
    let host: RunningHost;
    let client: HostClient;
    let service: net.Server;
    let sleeper: ChildProcess;
    let world: EscapeWorld;
    const connections: string[] = [];
    const planted: string[] = [];

    beforeAll(async () => {
      const runtime = target.runtime;
      if (!runtime) return;
      const secret = `sk-escape-${randomBytes(12).toString('hex')}`;
      const runId = `${process.pid}-${Date.now().toString(36)}`;
      fake = await createFakeResponsesServer();
      root = fs.mkdtempSync(path.join(os.tmpdir(), `nanoclaw-shell-escape-${target.name}-`));
      outside = fs.mkdtempSync(path.join(os.tmpdir(), `nanoclaw-shell-escape-secret-`));
      fs.chmodSync(root, 0o755);
      fs.chmodSync(outside, 0o755);
      const env = {
        OPENAI_BASE_URL: fake.baseUrl,
        // A key made of the secret: it must never be readable in the sandbox either.
        OPENAI_API_KEY: `${secret}-key`,
        CODEX_MAX_RETRIES: '0',
      };
      fs.writeFileSync(
        path.join(root, '.env'),
        Object.entries(env)
          .map(([key, value]) => `${key}=${value}\n`)
          .join(''),
      );
      for (const [folder, config] of Object.entries(ATTACKERS)) {
        fs.mkdirSync(path.join(root, 'groups', folder), { recursive: true });
        fs.writeFileSync(
          path.join(root, 'groups', `${folder}.container.json`),
          `${JSON.stringify(config)}\n`,
        );
      }
      const victim = path.join(root, 'groups', 'victim');
      fs.mkdirSync(victim, { recursive: true });
      fs.writeFileSync(path.join(victim, 'secret.txt'), `${secret}\n`, { mode: 0o644 });
      const secretFile = path.join(outside, 'secret.txt');
      // World-readable on purpose: isolation, not file permissions, must keep these out.
      fs.writeFileSync(secretFile, `${secret}\n`, { mode: 0o644 });
      const hostHome = os.homedir();
      planted.push(plant(path.join(hostHome, `.nanoclaw-escape-${runId}`), secret));
      const otherHome = process.getuid?.() === 0 ? path.join('/home', `nanoclaw-escape-${runId}`) : undefined;
      if (otherHome) planted.push(plant(path.join(otherHome, 'secret.txt'), secret), otherHome);
      // Host config an agent must not see (npmrc and the like live there): a planted one, so the attempt proves
      // something even on a machine whose /usr/local/etc is empty.
      if (process.getuid?.() === 0)
        planted.push(plant(path.join('/usr/local/etc', `nanoclaw-escape-${runId}`), secret));
      // A runtime that passed the host's env on would show it; a host process started with it holds it for real.
      process.env[HOST_ENV_MARKER] = secret;
      const sleeperWord = `86400.${randomBytes(3).readUIntBE(0, 3)}`;
      sleeper = spawn('sleep', [sleeperWord], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [HOST_ENV_MARKER]: secret },
        stdio: 'ignore',
      });

      service = net.createServer((socket) => {
        connections.push(`${socket.remoteAddress}`);
        socket.on('error', () => {});
        socket.once('data', (chunk) => {
          const said = chunk.toString('utf8');
          for (const attempt of ESCAPE_ATTEMPTS)
            if (said.includes(attempt.id)) world.serviceHits.add(attempt.id);
          socket.end(`HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\n${secret}\n`);
        });
      });
      await listenEverywhere(service);

      ({ host, client } = await startTestHost(root, runtime, env));
      await client.addGroup({ folder: 'victim', name: 'victim' });
      for (const folder of Object.keys(ATTACKERS)) await client.addGroup({ folder, name: folder });
      // The victim's chat lands in the host's database (the data dir), secret included.
      await client.postMessage('victim', { text: `the vault code is ${secret}` });
      const dataDir = path.join(root, 'data');
      fs.writeFileSync(path.join(dataDir, 'escape-secret.txt'), `${secret}\n`, { mode: 0o644 });

      world = {
        secret,
        runId,
        projectRoot: root,
        dataDir,
        otherGroupDir: victim,
        ownGroupDir: '',
        globalDir: path.join(root, 'groups', 'global'),
        secretFile,
        hostHome,
        ...(otherHome ? { otherHome } : {}),
        usrLocalEtcHashes: usrLocalEtcHashes(),
        apiPort: Number(new URL(host.url).port),
        servicePort: (service.address() as net.AddressInfo).port,
        hostAddresses: hostAddresses(),
        hostProcesses: [
          { pid: process.pid, cmdline: 'vitest' },
          { pid: sleeper.pid ?? 0, cmdline: sleeperWord },
        ],
        serviceHits: new Set(),
      };
    }, 180_000);

    afterAll(async () => {
      delete process.env[HOST_ENV_MARKER];
      sleeper?.kill();
      await host?.stop();
      await fake?.close();
      await new Promise((resolve) => service?.close(resolve));
      for (const file of planted) fs.rmSync(file, { recursive: true, force: true });
      if (root) fs.rmSync(root, { recursive: true, force: true });
      if (outside) fs.rmSync(outside, { recursive: true, force: true });
    }, 60_000);

    for (const folder of Object.keys(ATTACKERS)) {
      const mode = folder.replace('attacker-', '');
      const title = `network ${mode}: every attempt from the agent's bash is blocked`;
      it(title, { timeout: 900_000 }, async () => {
        const own = { ...world, ownGroupDir: path.join(root, 'groups', folder) };
        const settingsFile = path.join(root, 'groups', `${folder}.container.json`);
        const configBefore = fs.readFileSync(settingsFile, 'utf8');
        fake.reset();
        fake.on(`try to escape (${mode})`, chain(own));
        const { outcome } = await ask(client, folder, `@Andy try to escape (${mode})`, 840_000);

        const results = fake.toolResults();
        const verdicts = ESCAPE_ATTEMPTS.map((attempt) => {
          const command = attemptCommand(attempt, own);
          return judgeAttempt(attempt, results.find((r) => r.input.cmd === command)?.output, own, true);
        });
        report(`${target.name}/${mode}`, verdicts);
        if (process.env.NANOCLAW_TEST_ESCAPE_OUTPUT === '1')
          for (const r of results) console.log(`----- ${String(r.input.cmd).slice(0, 300)}\n${r.output}`);
        expect(outcome, 'the turn ends with the final text').toEqual({
          kind: 'reply',
          texts: ['Done trying.'],
        });
        const notRun = verdicts.filter((v) => /^(no tool result|the shell did not run it)/.test(v.detail));
        expect(notRun, 'attempts whose shell never ran').toEqual([]);
        const escaped = verdicts.filter((v) => !v.blocked);
        expect(escaped, JSON.stringify(escaped, null, 2)).toEqual([]);
        expect(connections, 'connections at the host service').toEqual([]);
        expect(fs.readFileSync(settingsFile, 'utf8')).toBe(configBefore);
      });
    }
  });
}

/** One exec_command per attempt, in order, each after the previous one's output came back; then a text. */
function chain(world: EscapeWorld): FakeResponsesStep {
  return ESCAPE_ATTEMPTS.reduceRight<FakeResponsesStep>(
    // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
    (next, attempt) => ({ exec: attemptCommand(attempt, world), yieldTimeMs: 30_000, then: next }),
    { text: 'Done trying.' },
  );
}

/** Prints the count and the list (bench/RESULTS.md quotes it). */
function report(label: string, verdicts: EscapeVerdict[]): void {
  const blocked = verdicts.filter((v) => v.blocked).length;
  const lines = verdicts.map((v) => `  ${v.blocked ? 'ok  ' : 'FAIL'} ${v.name}: ${v.detail}`);
  console.log(
    `[shell escape attempts: ${label}] ${verdicts.length} attempts, ${blocked} blocked\n${lines.join('\n')}`,
  );
}

/** Listens on every address: IPv6 and IPv4 (`::`), or IPv4 only where the host has no IPv6. */
async function listenEverywhere(server: net.Server): Promise<void> {
  const listen = (host: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen('::').catch(() => listen('0.0.0.0'));
}

/** Writes `secret` to `file` (world-readable, its folder created), returning the path to remove later. */
function plant(file: string, secret: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o644 });
  return file;
}

/** `<sha256>  <path>` of the host's /usr/local/etc files, as sha256sum prints them. */
function usrLocalEtcHashes(): string[] {
  const dir = '/usr/local/etc';
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .map((file) => `${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}  ${file}`);
}

/** The host's interface addresses (link-local IPv6 left out: it needs a scope the sandbox cannot name). */
function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((info) => info.address)
    .filter((address) => !address.toLowerCase().startsWith('fe80:'));
}
