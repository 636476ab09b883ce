import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { openDatabase } from '@nanoclaw/db';
import type { SandboxImagesStatus } from '@nanoclaw/sandbox-image';
import { createFakeAnthropicServer, type FakeAnthropicServer } from '@nanoclaw/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HostConfig } from '../../config.js';
import { createGroupRegistry } from '../../groups/index.js';
import type { DoctorCheck } from '../doctor/doctor-check.js';
import type { RuntimeProbe } from '../doctor/system-checks.js';
import { type CliHarness, configFor, createCliHarness, freePort, runCli, tempDir } from '../test-utils.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The model endpoint the configurations below use: a loopback Anthropic API that wants `sk-test`. */
let anthropic: FakeAnthropicServer;
beforeAll(async () => {
  anthropic = await createFakeAnthropicServer({ apiKey: 'sk-test' });
});
afterAll(() => anthropic.close());

const dockerUp = async (): Promise<RuntimeProbe> => ({ ok: true, name: 'docker', detail: 'Docker 27.0' });

/** What `nanoclaw sandbox image status` would say: the base userland built, or not, and mmdebstrap there or not. */
function userland(built: boolean, builder = true): SandboxImagesStatus {
  const manifest = {
    kind: 'userland' as const,
    digest: 'c'.repeat(64),
    packages: ['bash'],
    builtAt: new Date().toISOString(),
    buildMs: 68_000,
    sizeBytes: 332e6,
    files: 9,
  };
  return {
    cacheDir: '/var/cache/nanoclaw/userland',
    builder: builder
      ? { ok: true, detail: 'mmdebstrap at /usr/bin/mmdebstrap' }
      : { ok: false, reason: 'mmdebstrap is not installed', hint: 'apt-get install -y mmdebstrap' },
    base: {
      digest: manifest.digest,
      suite: 'bookworm',
      packages: 27,
      node: 'v20.20.2',
      ...(built ? { built: { manifest, dir: '/c', tree: '/c/tree' } } : {}),
    },
    cached: [],
  };
}

async function setup(env: Record<string, string> = {}) {
  const root = tempDir('nanoclaw-doctor-');
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const homeDir = path.join(root, 'home');
  fs.mkdirSync(homeDir);
  const port = await freePort();
  const config = configFor(root, {
    NANOCLAW_HTTP_PORT: String(port),
    ANTHROPIC_API_KEY: 'sk-test',
    ANTHROPIC_BASE_URL: anthropic.baseUrl,
    ...env,
  });
  return { root, homeDir, port, config };
}

/** Registers groups as `nanoclaw groups add <folder> [--provider]` does. */
async function addGroups(config: HostConfig, groups: Array<{ folder: string; provider?: string }>) {
  const database = await openDatabase({ path: path.join(config.NANOCLAW_DATA_DIR, 'nanoclaw.db') });
  try {
    const registry = createGroupRegistry({ db: database.db, groupsDir: config.NANOCLAW_GROUPS_DIR });
    for (const group of groups) await registry.add(group);
  } finally {
    await database.close();
  }
}

async function doctor(
  config: HostConfig,
  homeDir: string,
  options: {
    env?: Record<string, string>;
    probe?: () => Promise<RuntimeProbe>;
    userland?: SandboxImagesStatus;
    sandboxUser?: { uid: number; gid: number };
  } = {},
) {
  const result = await runCli(['doctor', '--json'], {
    loadConfig: () => config,
    env: options.env ?? {},
    homeDir,
    probeRuntime: options.probe ?? dockerUp,
    userlandStatus: async () => options.userland ?? userland(true),
    nodeVersion: '20.20.2',
    ...(options.sandboxUser ? { sandboxUser: options.sandboxUser } : {}),
  });
  const checks = JSON.parse(result.stdout) as DoctorCheck[];
  const byName = (name: string) => checks.find((check) => check.name === name);
  return { ...result, checks, byName };
}

describe('nanoclaw doctor', () => {
  it('passes on a fresh setup without a running host', async () => {
    const { config, homeDir, port } = await setup();
    const result = await runCli(['doctor'], {
      loadConfig: () => config,
      env: {},
      homeDir,
      probeRuntime: dockerUp,
      nodeVersion: '20.20.2',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ runtime ');
    expect(result.stdout).toContain('docker: Docker 27.0 (auto-detected)');
    expect(result.stdout).toMatch(
      new RegExp(`✓ claude credentials +API key at ${anthropic.baseUrl} \\(ANTHROPIC_API_KEY\\)\n`),
    );
    expect(result.stdout).toMatch(/· codex credentials +none configured/);
    expect(result.stdout).toContain('→ run `codex login`');
    expect(result.stdout).toContain('✓ database ');
    expect(result.stdout).toContain(`127.0.0.1:${port} is free`);
    expect(result.stdout).toContain('all good: the host can start');
  });

  it('exits 1 with a fix when no runtime is usable', async () => {
    const { config, homeDir } = await setup();
    const result = await doctor(config, homeDir, {
      probe: async () => ({ ok: false, reason: 'no sandbox runtime is usable here; install Docker' }),
    });
    expect(result.code).toBe(1);
    expect(result.byName('runtime')).toMatchObject({ status: 'fail', blocking: true });
    // What the host does without one, said the same way as its start log and `nanoclaw status`.
    expect(result.byName('runtime')?.detail).toContain('the host starts, but no agent can run');
  });

  it('reports missing credentials of the provider in use without blocking start', async () => {
    const { config, homeDir } = await setup({ ANTHROPIC_API_KEY: '', AGENT_PROVIDER: 'codex' });
    const result = await doctor(config, homeDir);
    expect(result.code).toBe(0);
    expect(result.byName('codex credentials')).toMatchObject({ status: 'fail', blocking: false });
  });

  it('prefers ~/.codex/auth.json over OPENAI_API_KEY and knows custom endpoint mode', async () => {
    const { config, homeDir } = await setup({ OPENAI_API_KEY: 'sk-openai' });
    fs.mkdirSync(path.join(homeDir, '.codex'));
    fs.writeFileSync(path.join(homeDir, '.codex', 'auth.json'), '{"tokens":{}}');
    const signedIn = await doctor(config, homeDir);
    expect(signedIn.byName('codex credentials')?.detail).toMatch(
      /ChatGPT subscription \(.*auth\.json\); it wins over OPENAI_API_KEY/,
    );
    const both = await setup({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' });
    fs.mkdirSync(path.join(both.homeDir, '.codex'));
    fs.writeFileSync(path.join(both.homeDir, '.codex', 'auth.json'), '{"tokens":{}}');
    const subscriptionWins = await doctor(both.config, both.homeDir);
    expect(subscriptionWins.byName('codex credentials')?.detail).toMatch(
      /ChatGPT subscription \(.*\); it wins over OPENAI_BASE_URL/,
    );
    const custom = await setup({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' });
    const endpoint = await doctor(custom.config, custom.homeDir);
    expect(endpoint.byName('codex credentials')).toMatchObject({
      status: 'ok',
      detail: 'OpenAI-compatible endpoint http://127.0.0.1:11434/v1 (without a key)',
    });
  });

  it('says which provider and credential mode each group runs on', async () => {
    const { config, homeDir } = await setup({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' });
    for (const [folder, container] of [
      ['main', '{}'],
      ['family', '{"provider": "codex"}'],
      ['lab', '{"provider": "opencode"}'],
      ['broken', '{"provdier": "codex"}'],
      ['stray', '{}'],
    ] as const) {
      fs.mkdirSync(path.join(config.NANOCLAW_GROUPS_DIR, folder), { recursive: true });
      fs.writeFileSync(path.join(config.NANOCLAW_GROUPS_DIR, `${folder}.container.json`), container);
    }
    await addGroups(config, [
      { folder: 'family' },
      { folder: 'lab' },
      { folder: 'broken' },
      { folder: 'pinned', provider: 'mock' },
    ]);
    const result = await doctor(config, homeDir);
    expect(result.byName('group main')).toMatchObject({
      status: 'ok',
      detail: `claude (credentials): API key at ${anthropic.baseUrl} (ANTHROPIC_API_KEY)`,
    });
    expect(result.byName('group pinned')).toMatchObject({
      status: 'info',
      detail: 'mock (group): canned replies',
    });
    // A folder no group uses is not served: doctor does not pretend it is.
    expect(result.byName('group stray')).toMatchObject({
      status: 'info',
      detail: 'no group uses this folder: the host does not serve it',
      hint: '`nanoclaw groups add stray` adopts it',
    });
    expect(result.byName('group family')).toMatchObject({
      status: 'ok',
      detail: 'codex (container.json): OpenAI-compatible endpoint http://127.0.0.1:11434/v1 (without a key)',
    });
    expect(result.byName('group lab')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^opencode/),
    });
    expect(result.byName('group broken')).toMatchObject({ status: 'fail', blocking: false });
    expect(result.byName('group broken')?.detail).toContain('provdier');
  });

  it('checks an existing database and refuses a corrupt one', async () => {
    const { config, homeDir } = await setup();
    const file = path.join(config.NANOCLAW_DATA_DIR, 'nanoclaw.db');
    const database = await openDatabase({ path: file });
    await database.close();
    expect((await doctor(config, homeDir)).byName('database')).toMatchObject({ status: 'ok' });
    fs.writeFileSync(file, 'this is not a database, it is a text file of some length '.repeat(200));
    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
    const broken = await doctor(config, homeDir);
    expect(broken.code).toBe(1);
    expect(broken.byName('database')).toMatchObject({ status: 'fail', blocking: true });
  });

  it('refuses a malformed mount allowlist', async () => {
    const { config, homeDir } = await setup();
    const file = path.join(homeDir, '.config', 'nanoclaw', 'mount-allowlist.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"allowedRoots": [{"path": "relative/path"}]}');
    const result = await doctor(config, homeDir);
    expect(result.code).toBe(1);
    expect(result.byName('mount allowlist')?.detail).toContain('must be absolute');
  });

  it('tells the running host from another program on the port', async () => {
    let harness: CliHarness | undefined = await createCliHarness();
    cleanups.push(() => harness?.cleanup());
    const ours = await doctor(harness.config, harness.homeDir);
    expect(ours.byName('HTTP port')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('held by the running host (NanoClaw 0.1.0)'),
    });
    await harness.cleanup();
    harness = undefined;

    const { config, homeDir } = await setup();
    const other = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => other.listen(config.NANOCLAW_HTTP_PORT, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => other.close(() => resolve())));
    const taken = await doctor(config, homeDir);
    expect(taken.code).toBe(1);
    expect(taken.byName('HTTP port')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('another program'),
    });
  });

  it('flags a token file others can read and a symlinked one', async () => {
    const { config, homeDir, root } = await setup();
    fs.mkdirSync(config.NANOCLAW_DATA_DIR, { recursive: true });
    const file = path.join(config.NANOCLAW_DATA_DIR, 'api-token');
    fs.writeFileSync(file, 'a-token-of-sufficient-length', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    expect((await doctor(config, homeDir)).byName('API token')).toMatchObject({ status: 'warn' });
    fs.rmSync(file);
    fs.symlinkSync(path.join(root, 'elsewhere'), file);
    expect((await doctor(config, homeDir)).byName('API token')).toMatchObject({
      status: 'fail',
      blocking: true,
    });
  });

  it('stops at a configuration that does not load', async () => {
    const { root, homeDir } = await setup();
    fs.writeFileSync(path.join(root, '.env'), 'NANOCLAW_RUNTIME=kubernetes\n');
    const result = await runCli(['doctor'], {
      loadConfig: () => configFor(root, {}),
      env: {},
      homeDir,
      probeRuntime: dockerUp,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ config');
    expect(result.stdout).toContain('NANOCLAW_RUNTIME: must be one of');
    expect(result.stdout).not.toContain('runtime ');
  });

  describe('agent userland', () => {
    it('shows the built userland: what it holds, its size and where it is', async () => {
      const { homeDir, config } = await setup();
      const check = (await doctor(config, homeDir)).byName('agent userland');
      expect(check?.status).toBe('ok');
      expect(check?.detail).toContain('Debian bookworm: bash, git, python3');
      expect(check?.detail).toContain('332 MB');
    });

    it('says the first start builds it when it is not built yet', async () => {
      const { homeDir, config } = await setup();
      const check = (await doctor(config, homeDir, { userland: userland(false) })).byName('agent userland');
      expect(check).toMatchObject({ status: 'warn', hint: 'or build it now: nanoclaw sandbox image build' });
    });

    it('fails (without stopping the host) when it cannot be built: agents would have no shell; names the apt command', async () => {
      const { homeDir, config } = await setup();
      const result = await doctor(config, homeDir, { userland: userland(false, false) });
      expect(result.byName('agent userland')).toMatchObject({
        status: 'fail',
        blocking: false,
        hint: 'apt-get install -y mmdebstrap',
      });
      expect(result.byName('agent userland')?.detail).toContain('NO shell');
      expect(result.code).toBe(0);
    });

    it('is not in use for the process runtime', async () => {
      const { homeDir, config } = await setup();
      const probe = async (): Promise<RuntimeProbe> => ({
        ok: true,
        name: 'process',
        detail: 'plain processes',
      });
      const check = (await doctor(config, homeDir, { probe, userland: userland(false, false) })).byName(
        'agent userland',
      );
      expect(check?.status).toBe('info');
    });
  });
});

describe('the first message, before it is sent', () => {
  it('calls the model endpoint as the first message will: the configured URL, the key the host adds, a models list (no tokens)', async () => {
    const { config, homeDir } = await setup();
    anthropic.reset();
    const result = await doctor(config, homeDir);
    const check = result.byName(`model endpoint ${anthropic.baseUrl}`);
    expect(check?.status).toBe('ok');
    expect(check?.detail).toMatch(
      new RegExp(
        `^GET ${anthropic.baseUrl}/v1/models answered 200 in \\d+ ms \\(with ANTHROPIC_API_KEY\\)\\nused by claude in main$`,
      ),
    );
    expect(
      anthropic.requests.map(
        (r) => `${r.method} ${r.path} ${r.headers['x-api-key']} ${r.headers['anthropic-version']}`,
      ),
    ).toEqual(['GET /v1/models sk-test 2023-06-01']);
    expect(result.code).toBe(0);
  });

  it('a refused key is ✗ with the answer and the key to fix', async () => {
    const { config, homeDir } = await setup({ ANTHROPIC_API_KEY: 'sk-revoked' });
    const result = await doctor(config, homeDir);
    expect(result.byName(`model endpoint ${anthropic.baseUrl}`)).toEqual({
      name: `model endpoint ${anthropic.baseUrl}`,
      status: 'fail',
      detail: `the credential was refused: GET ${anthropic.baseUrl}/v1/models answered 401: invalid API key\nused by claude in main`,
      hint: 'the endpoint refused ANTHROPIC_API_KEY: set a valid one',
      blocking: false,
    });
    // The host still starts; this group's messages would fail.
    expect(result.code).toBe(0);
  });

  it('an endpoint nothing answers at is ✗ naming the setting its URL comes from', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { config, homeDir } = await setup({ ANTHROPIC_BASE_URL: dead });
    const check = (await doctor(config, homeDir)).byName(`model endpoint ${dead}`);
    expect(check).toMatchObject({
      status: 'fail',
      hint: 'start it, or fix ANTHROPIC_BASE_URL (in .env, or the group\'s settings "env" in groups/<folder>.container.json)',
    });
    expect(check?.detail).toMatch(/^cannot reach it: connect ECONNREFUSED 127\.0\.0\.1:\d+\nGET http/);
  });

  it('a group whose container.json env sends its messages elsewhere is checked on its own', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { config, homeDir } = await setup();
    fs.mkdirSync(path.join(config.NANOCLAW_GROUPS_DIR, 'lab'), { recursive: true });
    fs.writeFileSync(
      path.join(config.NANOCLAW_GROUPS_DIR, 'lab.container.json'),
      JSON.stringify({ env: { ANTHROPIC_BASE_URL: dead } }),
    );
    await addGroups(config, [{ folder: 'lab' }, { folder: 'family' }]);
    const result = await doctor(config, homeDir);
    expect(result.byName(`model endpoint ${anthropic.baseUrl}`)).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/\nused by claude in family, claude in main$/),
    });
    expect(result.byName(`model endpoint ${dead}`)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/\nused by claude in lab$/),
    });
  });

  it('a folder the sandbox user cannot pass through on the way to a group is ✗, naming it and the chmod that fixes it', async () => {
    const { root, config, homeDir } = await setup({ NANOCLAW_GROUPS_DIR: 'private/groups' });
    fs.mkdirSync(path.join(root, 'private', 'groups', 'main'), { recursive: true });
    fs.chmodSync(root, 0o755);
    fs.chmodSync(path.join(root, 'private'), 0o700);
    const bwrap = async (): Promise<RuntimeProbe> => ({
      ok: true,
      name: 'bwrap',
      detail: 'bubblewrap 0.8.0',
    });
    const sandboxUser = { uid: 4242, gid: 4242 };
    const blocked = await doctor(config, homeDir, { probe: bwrap, sandboxUser });
    expect(blocked.byName('sandbox access')).toEqual({
      name: 'sandbox access',
      status: 'fail',
      detail: `the sandbox user 4242:4242 cannot reach groups/main: ${root}/private is not searchable for it\na message there fails when its sandbox starts`,
      hint: `chmod o+x ${root}/private (or move the project to a folder others may pass through)`,
      blocking: false,
    });
    expect(blocked.code).toBe(0);

    fs.chmodSync(path.join(root, 'private'), 0o711);
    const fixed = await doctor(config, homeDir, { probe: bwrap, sandboxUser });
    expect(fixed.byName('sandbox access')).toMatchObject({
      status: 'ok',
      detail: 'the sandbox user 4242:4242 can reach every group folder (main) and the data dir',
    });
    // Docker's daemon binds the folders as root: nothing to check there.
    expect((await doctor(config, homeDir, { sandboxUser })).byName('sandbox access')).toBeUndefined();
  });
});
