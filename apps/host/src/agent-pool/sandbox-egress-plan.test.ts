import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  defaultSandboxUser,
  EGRESS_PLACEHOLDER_SECRET,
  noopLogger,
  sandboxHostUser,
} from '@nanoclaw/container-runner';
import type { SandboxSpec } from '@nanoclaw/core';
import { createClaudeHostContribution } from '@nanoclaw/provider-claude/host';
import { createCodexHostContribution } from '@nanoclaw/provider-codex/host';
import { createOpencodeHostContribution, VENDOR_APIS } from '@nanoclaw/provider-opencode/host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSandboxEgress, startPlannedEgress, usesEgressProxy } from './sandbox-egress-plan.js';
import type { ProviderSandboxProfile } from './types.js';

const roots: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-egress-plan-'));
  roots.push(dir);
  return dir;
};

let upstream: http.Server;
let upstreamUrl: string;
const seen: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.end(`upstream saw ${req.url}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(() => {
  upstream.close();
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

const baseSpec = (env: Record<string, string>): SandboxSpec => ({
  name: 'egress-plan',
  command: ['/usr/bin/node', '/app/main.js'],
  cwd: '/workspace/group',
  env: { HOME: '/home/agent', PATH: '/usr/bin', ...env },
  mounts: [],
  network: 'full',
  limits: { memoryMb: 256, cpus: 1, pids: 64 },
  labels: {},
  user: { uid: 1000, gid: 1000 },
});

/** The sandbox env, as `buildSandboxEnv` builds it: the profile's allowlisted keys that are set. */
const allowlisted = (profile: ProviderSandboxProfile, hostEnv: Record<string, string>) =>
  Object.fromEntries(
    profile.envAllowlist.filter((key) => hostEnv[key]).map((key) => [key, hostEnv[key] ?? '']),
  );

/**
 * Plans and starts the proxy for `profile` with `hostEnv`, then sends one request the way the runtime would:
 * to its base URL with the placeholder in `header` (and a made-up bearer token, which must never pass).
 */
/** The model request a runtime sends through the proxy: to `path` under its `baseUrlEnv`, with `header` set. */
interface ProxyRequest {
  baseUrlEnv: string;
  path: string;
  header: string;
  prefix?: string;
}

async function throughProxy(
  profile: ProviderSandboxProfile,
  hostEnv: Record<string, string>,
  request: ProxyRequest,
) {
  const env = allowlisted(profile, hostEnv);
  const plan = planSandboxEgress({ profile, env, hostEnv, network: 'full' });
  const started = await startPlannedEgress({
    spec: baseSpec(env),
    plan,
    runtime: 'docker',
    egressDir: tempDir(),
    logger: noopLogger,
  });
  try {
    const base = new URL(started.spec.env[request.baseUrlEnv] ?? '');
    const sandboxValue = `${request.prefix ?? ''}${EGRESS_PLACEHOLDER_SECRET}`;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: started.egress.proxy.socketPath,
          method: 'POST',
          path: `${base.pathname}${request.path}`,
          headers: { [request.header]: sandboxValue, authorization: 'Bearer made-up-in-the-sandbox' },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString('utf8');
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    return { spec: started.spec, plan, answer, headers: seen.at(-1) ?? {} };
  } finally {
    await started.stop();
  }
}

describe('usesEgressProxy', () => {
  it('every isolated runtime in every mode; Apple Container keeps its VM network for full; never process', () => {
    for (const network of ['full', 'none', 'proxy'] as const) {
      expect(usesEgressProxy('bwrap', network)).toBe(true);
      expect(usesEgressProxy('docker', network)).toBe(true);
      expect(usesEgressProxy('process', network)).toBe(false);
    }
    expect(usesEgressProxy('apple', 'full')).toBe(false);
    expect(usesEgressProxy('apple', 'none')).toBe(true);
  });
});

describe('startPlannedEgress', () => {
  it('shares the socket and its directory with the uid the sandbox runs as on the host, and no one else', async () => {
    const spec = { ...baseSpec({}), user: defaultSandboxUser() };
    for (const runtime of ['docker', 'bwrap']) {
      const started = await startPlannedEgress({
        spec,
        plan: planSandboxEgress({
          profile: createClaudeHostContribution(),
          env: {},
          hostEnv: {},
          network: 'none',
        }),
        runtime,
        egressDir: tempDir(),
        logger: noopLogger,
      });
      try {
        const owner = sandboxHostUser(runtime, spec.user);
        const self = process.getuid?.();
        // The host's own uid: nobody else at all; another uid (a root host): through its group, read-only.
        const [dirMode, socketMode] = owner.uid === self ? [0o700, 0o600] : [0o750, 0o660];
        const dir = fs.statSync(started.egress.hostDir);
        const socket = fs.statSync(started.egress.proxy.socketPath);
        expect([dir.uid, dir.gid, dir.mode & 0o777], runtime).toEqual([self, owner.gid, dirMode]);
        expect([socket.uid, socket.gid, socket.mode & 0o777], runtime).toEqual([self, owner.gid, socketMode]);
      } finally {
        await started.stop();
      }
    }
  });
});

describe('planSandboxEgress', () => {
  it('full keeps the internet; none and its alias proxy do not', () => {
    const profile = createClaudeHostContribution();
    for (const [network, internet] of [
      ['full', 'full'],
      ['none', 'none'],
      ['proxy', 'none'],
    ] as const) {
      expect(planSandboxEgress({ profile, env: {}, hostEnv: {}, network }).internet).toBe(internet);
    }
  });

  it('withholds an allowlisted secret no route names, and says so', () => {
    const profile = createClaudeHostContribution();
    const hostEnv = { ANTHROPIC_API_KEY: 'sk-ant', CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat' };
    const plan = planSandboxEgress({ profile, env: allowlisted(profile, hostEnv), hostEnv, network: 'full' });
    expect(plan.withheld).toEqual(['CLAUDE_CODE_OAUTH_TOKEN']);
    expect(plan.routes[0]?.setHeaders).toEqual({ 'x-api-key': 'sk-ant' });
  });

  it('passes a setting named like a secret (CODEX_COMPACT_THRESHOLD_TOKENS) as it is: only declared credentials are withheld', async () => {
    const profile = createCodexHostContribution({ hostHome: tempDir() });
    const hostEnv = {
      OPENAI_API_KEY: 'sk-openai',
      CODEX_COMPACT_THRESHOLD_TOKENS: '40000',
      CODEX_MODEL: 'gpt-5',
    };
    const env = allowlisted(profile, hostEnv);
    const plan = planSandboxEgress({ profile, env, hostEnv, network: 'full' });
    expect(plan.withheld).toEqual([]);
    const lines: string[] = [];
    const logger = {
      ...noopLogger,
      info: (_fields: unknown, message?: string) => void lines.push(message ?? ''),
    };
    const started = await startPlannedEgress({
      spec: baseSpec(env),
      plan,
      runtime: 'docker',
      egressDir: tempDir(),
      logger: { ...logger, child: () => logger },
    });
    await started.stop();
    expect(started.spec.env.CODEX_COMPACT_THRESHOLD_TOKENS).toBe('40000');
    expect(started.spec.env.OPENAI_API_KEY).toBe(EGRESS_PLACEHOLDER_SECRET);
    expect(lines.filter((line) => /secret/.test(line))).toEqual([]);
  });

  it('each provider declares its credentials among its allowlisted keys, and every key a route carries is one', () => {
    const hostHome = tempDir();
    for (const profile of [
      createClaudeHostContribution(),
      createCodexHostContribution({ hostHome }),
      createOpencodeHostContribution({ hostHome }),
    ]) {
      for (const key of profile.credentialEnvKeys) expect(profile.envAllowlist).toContain(key);
      const everyKey = Object.fromEntries(profile.envAllowlist.map((key) => [key, `value-of-${key}`]));
      const routes = profile.egress?.({ ...everyKey, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }).routes ?? [];
      for (const key of routes.flatMap((route) => route.secretEnvKeys ?? []))
        expect(profile.credentialEnvKeys).toContain(key);
      expect(profile.credentialEnvKeys).not.toContain('CODEX_COMPACT_THRESHOLD_TOKENS');
    }
  });

  it('reads a header from a host login file (a Codex API-key login) and names a missing one', () => {
    const hostHome = tempDir();
    fs.mkdirSync(path.join(hostHome, '.codex'));
    const authFile = path.join(hostHome, '.codex', 'auth.json');
    fs.writeFileSync(authFile, JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-from-login' }));
    const profile = createCodexHostContribution({ hostHome });
    const plan = planSandboxEgress({ profile, env: {}, hostEnv: {}, network: 'none' });
    expect(plan.routes).toEqual([
      expect.objectContaining({
        upstream: 'https://api.openai.com/v1',
        setHeaders: { authorization: 'Bearer sk-from-login' },
        baseUrlEnv: 'CODEX_OPENAI_BASE_URL',
        secretEnvKeys: ['OPENAI_API_KEY'],
      }),
    ]);
    const broken: ProviderSandboxProfile = {
      envAllowlist: [],
      credentialEnvKeys: [],
      homeDir: '.x',
      egress: () => ({
        routes: [{ prefix: '/x', upstream: 'http://127.0.0.1:9', setHeaders: { 'x-key': { env: 'X_KEY' } } }],
      }),
    };
    expect(() => planSandboxEgress({ profile: broken, env: {}, hostEnv: {}, network: 'full' })).toThrow(
      'egress header x-key: env X_KEY is not set',
    );
  });
});

/** {@link throughProxy} for Claude with `env` and the upstream as its base URL. */
const throughClaude = (env: Record<string, string>, request: Omit<ProxyRequest, 'baseUrlEnv'>) =>
  throughProxy(
    createClaudeHostContribution(),
    { ...env, ANTHROPIC_BASE_URL: upstreamUrl },
    { baseUrlEnv: 'ANTHROPIC_BASE_URL', ...request },
  );

describe('each provider contribution through the proxy: the host adds the key, the sandbox holds a placeholder', () => {
  it('Claude, ANTHROPIC_API_KEY at a gateway: x-api-key', async () => {
    const key = 'sk-ant-real-key';
    const { spec, answer, headers } = await throughClaude(
      { ANTHROPIC_API_KEY: key },
      { path: '/v1/messages', header: 'x-api-key' },
    );
    expect(answer).toEqual({ status: 200, body: 'upstream saw /v1/messages' });
    expect(headers['x-api-key']).toBe(key);
    expect(headers.authorization).toBeUndefined();
    expect(spec.env.ANTHROPIC_API_KEY).toBe(EGRESS_PLACEHOLDER_SECRET);
    expect(spec.env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:3128/anthropic');
    expect(JSON.stringify(spec)).not.toContain(key);
  });

  it('Claude, CLAUDE_CODE_OAUTH_TOKEN: a bearer token; the oauth beta header passes', async () => {
    const token = 'sk-ant-oat01-real';
    const { spec, answer, headers } = await throughClaude(
      { CLAUDE_CODE_OAUTH_TOKEN: token },
      { path: '/v1/messages?beta=true', header: 'anthropic-beta' },
    );
    expect(answer.status).toBe(200);
    expect(headers.authorization).toBe(`Bearer ${token}`);
    expect(headers['anthropic-beta']).toBe(EGRESS_PLACEHOLDER_SECRET); // whatever the runtime sent there passes
    expect(spec.env.CLAUDE_CODE_OAUTH_TOKEN).toBe(EGRESS_PLACEHOLDER_SECRET);
    expect(JSON.stringify(spec)).not.toContain(token);
  });

  it('Claude, ANTHROPIC_AUTH_TOKEN: a bearer token', async () => {
    const { answer, headers, spec } = await throughClaude(
      { ANTHROPIC_AUTH_TOKEN: 'gw-token' },
      { path: '/v1/messages', header: 'authorization', prefix: 'Bearer ' },
    );
    expect(answer.status).toBe(200);
    expect(headers.authorization).toBe('Bearer gw-token');
    expect(spec.env.ANTHROPIC_AUTH_TOKEN).toBe(EGRESS_PLACEHOLDER_SECRET);
  });

  it('Codex, a custom OPENAI_BASE_URL with a key: a bearer token on the endpoint route', async () => {
    const key = 'sk-codex-real';
    const { answer, headers, spec } = await throughProxy(
      createCodexHostContribution({ hostHome: tempDir() }),
      { OPENAI_API_KEY: key, OPENAI_BASE_URL: `${upstreamUrl}/v1` },
      { baseUrlEnv: 'OPENAI_BASE_URL', path: '/responses', header: 'authorization', prefix: 'Bearer ' },
    );
    expect(answer).toEqual({ status: 200, body: 'upstream saw /v1/responses' });
    expect(headers.authorization).toBe(`Bearer ${key}`);
    expect(spec.env.OPENAI_BASE_URL).toBe('http://127.0.0.1:3128/openai');
    expect(JSON.stringify(spec)).not.toContain(key);
  });

  it('OpenCode, OPENAI_API_KEY with a custom endpoint: the nanoclaw route; the openai vendor route too', async () => {
    const key = 'sk-opencode-real';
    const { answer, headers, spec } = await throughProxy(
      createOpencodeHostContribution({ hostHome: tempDir() }),
      { OPENAI_API_KEY: key, OPENAI_BASE_URL: `${upstreamUrl}/v1` },
      {
        baseUrlEnv: 'OPENAI_BASE_URL',
        path: '/chat/completions',
        header: 'authorization',
        prefix: 'Bearer ',
      },
    );
    expect(answer).toEqual({ status: 200, body: 'upstream saw /v1/chat/completions' });
    expect(headers.authorization).toBe(`Bearer ${key}`);
    expect(spec.env).toMatchObject({
      OPENAI_BASE_URL: 'http://127.0.0.1:3128/nanoclaw',
      OPENCODE_OPENAI_BASE_URL: 'http://127.0.0.1:3128/openai',
      OPENAI_API_KEY: EGRESS_PLACEHOLDER_SECRET,
    });
    expect(JSON.stringify(spec)).not.toContain(key);
  });

  it("OpenCode, an API-key login in the host's opencode auth.json: the host reads the key from that file", async () => {
    const hostHome = tempDir();
    const authFile = path.join(hostHome, '.local', 'share', 'opencode', 'auth.json');
    fs.mkdirSync(path.dirname(authFile), { recursive: true });
    fs.writeFileSync(authFile, JSON.stringify({ anthropic: { type: 'api', key: 'sk-ant-from-login' } }));
    const anthropic = VENDOR_APIS.anthropic;
    if (!anthropic) throw new Error('opencode has no anthropic API');
    const profile = createOpencodeHostContribution({
      hostHome,
      vendorApis: { ...VENDOR_APIS, anthropic: { ...anthropic, upstream: `${upstreamUrl}/v1` } },
    });
    const { answer, headers, spec, plan } = await throughProxy(
      profile,
      {},
      { baseUrlEnv: 'OPENCODE_ANTHROPIC_BASE_URL', path: '/messages', header: 'x-api-key' },
    );
    expect(answer).toEqual({ status: 200, body: 'upstream saw /v1/messages' });
    expect(headers['x-api-key']).toBe('sk-ant-from-login');
    expect(plan.exceptions).toEqual([]);
    expect(spec.env).toMatchObject({
      OPENCODE_ANTHROPIC_BASE_URL: 'http://127.0.0.1:3128/anthropic',
      ANTHROPIC_API_KEY: EGRESS_PLACEHOLDER_SECRET,
    });
    expect(JSON.stringify(spec)).not.toContain('sk-ant-from-login');
    // The session's home gets no copy of that login.
    const homePath = path.join(tempDir(), '.local', 'share', 'opencode');
    await profile.prepareHome?.({ homePath, env: {}, egress: true });
    expect(fs.readdirSync(homePath)).toEqual([]);
  });

  it('a ChatGPT login: no route, CONNECT to its hosts, the login named as the exception', () => {
    const hostHome = tempDir();
    fs.mkdirSync(path.join(hostHome, '.codex'));
    fs.writeFileSync(
      path.join(hostHome, '.codex', 'auth.json'),
      JSON.stringify({ tokens: { access_token: 'at', refresh_token: 'rt' } }),
    );
    const profile = createCodexHostContribution({ hostHome });
    const hostEnv = { OPENAI_API_KEY: 'sk-shadowed' };
    const plan = planSandboxEgress({ profile, env: allowlisted(profile, hostEnv), hostEnv, network: 'none' });
    expect(plan).toMatchObject({
      internet: 'none',
      routes: [],
      connectHosts: ['chatgpt.com:443', 'auth.openai.com:443'],
      withheld: ['OPENAI_API_KEY'],
    });
    expect(plan.exceptions[0]?.credential).toMatch(/ChatGPT login/);
  });
});
