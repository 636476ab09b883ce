import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { buildSandboxEnv, type EgressRoute, routeEgressRequest } from '@nanoclaw/container-runner';
import { errorMessage, type ProviderEgressRoute, type ProviderHostContribution } from '@nanoclaw/core';
import { declaredEgress, resolveEgressRoute } from '../../agent-pool/sandbox-egress-plan.js';
import { describeSource } from './credential-checks.js';
import { type DoctorCheck, fail, ok, warn } from './doctor-check.js';
import type { DoctorGroup } from './doctor-groups.js';

export interface EndpointCheckOptions {
  /** The groups the host serves, with their providers. */
  groups: readonly DoctorGroup[];
  /** The host's env (config) as the sandboxes' env is built from it. */
  hostEnv: Readonly<Record<string, string>>;
  /** The providers' host contributions, by id. */
  contributions: Readonly<Record<string, ProviderHostContribution>>;
  /** How long one request may take (default 5 s). */
  timeoutMs?: number;
}

/** One request the doctor sends, and the groups whose first message goes the same way. */
interface Probe {
  /** `GET <url>` with headers, or `CONNECT host:port`: the same key is sent once. */
  key: string;
  target: { kind: 'http'; url: URL; headers: Record<string, string> } | { kind: 'connect'; host: string };
  /** The credential the host adds, as `doctor` names it (`ANTHROPIC_API_KEY`), or why there is none. */
  credential: string;
  /** The env key the endpoint's URL came from (`OPENAI_BASE_URL`), if any. */
  baseUrlKey?: string;
  users: string[];
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Calls each served group's model endpoint the way its first message will: the route its provider declares
 * for the group's env (the configured base URL, `container.json` env over `.env`), with the credential the
 * host adds, asking only for something that spends no tokens (the route's `check`, a models list). A Codex
 * ChatGPT login's hosts are connected to. One line per endpoint; a failure is ✗ with its cause and fix.
 */
export async function checkModelEndpoints(options: EndpointCheckOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const probes = new Map<string, Probe>();
  for (const group of options.groups) {
    const contribution = options.contributions[group.provider.id];
    if (!group.served || group.configError || !contribution) continue;
    const planned = planProbes(group, contribution, options.hostEnv);
    if ('error' in planned) {
      checks.push(fail(`group ${group.folder} model endpoint`, planned.error, planned.hint, false));
      continue;
    }
    for (const probe of planned.probes) {
      const known = probes.get(probe.key);
      if (known) known.users.push(...probe.users);
      else probes.set(probe.key, probe);
    }
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const answered = await Promise.all(
    [...probes.values()].map(async (probe) => endpointCheck(probe, await send(probe, timeoutMs))),
  );
  return [...checks, ...nameUniquely(answered)];
}

function planProbes(
  group: DoctorGroup,
  contribution: ProviderHostContribution,
  hostEnv: Readonly<Record<string, string>>,
): { probes: Probe[] } | { error: string; hint: string } {
  const user = `${group.provider.id} in ${group.folder}`;
  let view: Readonly<Record<string, string | undefined>>;
  let routes: readonly ProviderEgressRoute[];
  let connectHosts: readonly string[];
  try {
    const env = buildSandboxEnv({
      hostEnv,
      envAllowlist: contribution.envAllowlist,
      configEnv: group.config?.env ?? {},
    });
    const egress = declaredEgress(contribution, env, hostEnv);
    view = egress.view;
    routes = egress.declared.routes;
    connectHosts = egress.declared.connectHosts ?? [];
  } catch (error) {
    return { error: errorMessage(error), hint: `fix groups/${group.folder}.container.json "env"` };
  }
  const probes: Probe[] = [];
  for (const route of routes) {
    if (!route.check) continue;
    let resolved: EgressRoute;
    try {
      resolved = resolveEgressRoute(route, view);
    } catch (error) {
      return { error: `${user}: ${errorMessage(error)}`, hint: 'set it in .env' };
    }
    const headers = { ...route.check.headers, ...resolved.setHeaders };
    const decision = routeEgressRequest([resolved], 'GET', `${route.prefix}${route.check.path}`);
    if (!decision.ok) return { error: `${user}: ${decision.reason}`, hint: 'a provider bug: report it' };
    const sources = Object.values(route.setHeaders ?? {});
    const baseUrlKey = Object.keys(view).find(
      (key) => key.endsWith('_BASE_URL') && view[key]?.trim() === route.upstream,
    );
    probes.push({
      key: `GET ${decision.target.href} ${JSON.stringify(headers)}`,
      target: { kind: 'http', url: decision.target, headers },
      credential: sources.length > 0 ? sources.map(describeSource).join(' and ') : 'no credential',
      ...(baseUrlKey ? { baseUrlKey } : {}),
      users: [user],
    });
  }
  for (const host of connectHosts) {
    probes.push({
      key: `CONNECT ${host}`,
      target: { kind: 'connect', host },
      credential: 'its own login',
      users: [user],
    });
  }
  return { probes };
}

type Answer =
  | { kind: 'http'; status: number; message: string; ms: number }
  | { kind: 'connected'; ms: number }
  | { kind: 'unreachable'; cause: string };

async function send(probe: Probe, timeoutMs: number): Promise<Answer> {
  const started = Date.now();
  try {
    if (probe.target.kind === 'connect') {
      await connect(probe.target.host, timeoutMs);
      return { kind: 'connected', ms: Date.now() - started };
    }
    const { status, body } = await get(probe.target.url, probe.target.headers, timeoutMs);
    return { kind: 'http', status, message: errorMessageOf(body), ms: Date.now() - started };
  } catch (error) {
    return { kind: 'unreachable', cause: errorMessage(error) };
  }
}

/** A GET as the host's egress proxy sends it upstream (node's http/https, no proxy of its own), with a deadline. */
function get(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.once('error', reject);
  });
}

function connect(authority: string, timeoutMs: number): Promise<void> {
  const at = authority.lastIndexOf(':');
  const host = authority.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(authority.slice(at + 1));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no connection within ${timeoutMs / 1000} s`)),
    );
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** The API's own words from an error body (`{"error":{"message":…}}` and the like), else its start. */
function errorMessageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message =
      typeof parsed.error === 'string'
        ? parsed.error
        : typeof parsed.error?.message === 'string'
          ? parsed.error.message
          : typeof parsed.message === 'string'
            ? parsed.message
            : undefined;
    if (message) return message;
  } catch {
    // not JSON: its text
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 200);
}

function endpointCheck(probe: Probe, answer: Answer): DoctorCheck {
  const where = probe.target.kind === 'http' ? probe.target.url.origin : probe.target.host;
  const name = `model endpoint ${where}`;
  const usedBy = `used by ${probe.users.join(', ')}`;
  const request = probe.target.kind === 'http' ? `GET ${probe.target.url.href}` : `CONNECT ${where}`;
  const fixUrl = probe.baseUrlKey
    ? `start it, or fix ${probe.baseUrlKey} (in .env, or the group's settings "env" in groups/<folder>.container.json)`
    : `check this machine's network: the host reaches ${where} itself`;
  if (answer.kind === 'unreachable') {
    return fail(name, `cannot reach it: ${answer.cause}\n${request}\n${usedBy}`, fixUrl, false);
  }
  if (answer.kind === 'connected') {
    return ok(name, `reachable (a connection in ${answer.ms} ms; ${probe.credential})\n${usedBy}`);
  }
  const { status, ms } = answer;
  const said = answer.message ? `: ${answer.message}` : '';
  const line = `${request} answered ${status}${said}`;
  if (status < 400)
    return ok(name, `${request} answered ${status} in ${ms} ms (with ${probe.credential})\n${usedBy}`);
  if (status === 401 || status === 403) {
    const hint =
      probe.credential === 'no credential'
        ? 'the endpoint wants a key: set the provider’s key in .env'
        : `the endpoint refused ${probe.credential}: set a valid one`;
    return fail(name, `the credential was refused: ${line}\n${usedBy}`, hint, false);
  }
  if (status === 404) {
    return warn(
      name,
      `${line}\n${usedBy}`,
      probe.baseUrlKey ? `is ${probe.baseUrlKey} the API's base URL (often ending in /v1)?` : undefined,
    );
  }
  return fail(
    name,
    `${line}\n${usedBy}`,
    'the endpoint fails: try again later, or see its status page',
    false,
  );
}

/** Two endpoints on one origin (another key, another path) get the groups they serve in their names. */
function nameUniquely(checks: DoctorCheck[]): DoctorCheck[] {
  const counts = new Map<string, number>();
  for (const check of checks) counts.set(check.name, (counts.get(check.name) ?? 0) + 1);
  return checks.map((check) => {
    if ((counts.get(check.name) ?? 0) < 2) return check;
    const users =
      check.detail
        .split('\n')
        .at(-1)
        ?.replace(/^used by /, '') ?? '';
    return { ...check, name: `${check.name} (${users})` };
  });
}
