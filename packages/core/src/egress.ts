/**
 * How a provider's model traffic leaves an isolated sandbox: always through the host's egress proxy. A provider
 * declares it in its host contribution (`ProviderHostContribution.egress`); the host starts one proxy per sandbox
 * from it and keeps no provider knowledge of its own.
 */

/** Where the value of a header the host adds comes from. Read on the host at spawn time, never in the sandbox. */
export type EgressHeaderSource =
  /** The host env key's value (e.g. `OPENAI_API_KEY`), after `prefix` (e.g. `Bearer `). */
  | { readonly env: string; readonly prefix?: string }
  /**
   * A string field of a JSON file on the host (e.g. the API key of a CLI login), after `prefix`: a top-level
   * key, or the path of keys to a nested one (`['anthropic', 'key']`).
   */
  | { readonly file: string; readonly jsonKey: string | readonly string[]; readonly prefix?: string };

/** Where a header's value comes from, for messages: `env OPENAI_API_KEY`, `anthropic.key of /h/auth.json`. */
export function describeHeaderSource(source: EgressHeaderSource): string {
  if ('env' in source) return `env ${source.env}`;
  const key = typeof source.jsonKey === 'string' ? source.jsonKey : source.jsonKey.join('.');
  return `${key} of ${source.file}`;
}

/**
 * One upstream the sandbox reaches at `http://127.0.0.1:<port><prefix>/...`: the host forwards to
 * `<upstream><rest>` and sets the credential headers itself.
 */
export interface ProviderEgressRoute {
  /** First path segment, `/name` (lower case, digits, `-`, `_`). */
  readonly prefix: string;
  /** Upstream base URL (http or https); its path, if any, is prepended, e.g. `https://api.openai.com/v1`. */
  readonly upstream: string;
  /** Only paths starting with one of these (after the prefix) are forwarded; default all. */
  readonly allowPaths?: readonly string[];
  /** Allowed methods (default GET, POST). */
  readonly methods?: readonly string[];
  /** Headers the host sets on every forwarded request; whatever the sandbox sent under these names is dropped. */
  readonly setHeaders?: Readonly<Record<string, EgressHeaderSource>>;
  /** Sandbox env key that gets this route's base URL, e.g. `ANTHROPIC_BASE_URL`. */
  readonly baseUrlEnv?: string;
  /** Env keys the sandbox gets as a placeholder instead of the real credential (set even when the host's is unset). */
  readonly secretEnvKeys?: readonly string[];
  /**
   * A request that tells whether the route works without spending tokens (e.g. `GET /v1/models`): `nanoclaw
   * doctor` sends it to the upstream with the credential the host adds, as the first message would go.
   */
  readonly check?: ProviderEgressCheck;
}

/** A cheap `GET` on a route (its path after the prefix, within `allowPaths`) and the headers the runtime sends. */
export interface ProviderEgressCheck {
  readonly path: string;
  /** Non-secret headers the upstream needs (e.g. `anthropic-version`); the credential headers are added. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A credential that has to stay readable inside the sandbox, named in the README and by `nanoclaw doctor`. */
export interface ProviderEgressException {
  /** What stays readable, e.g. `~/.codex/auth.json (ChatGPT login)`. */
  readonly credential: string;
  /** Why it cannot stay on the host. */
  readonly reason: string;
  /** Allowlisted env keys passed into the sandbox as they are because of this exception. */
  readonly envKeys?: readonly string[];
}

/** A provider's model traffic for one host env: what the host proxy routes, tunnels and leaves alone. */
export interface ProviderEgress {
  readonly routes: readonly ProviderEgressRoute[];
  /**
   * `host:port` the runtime reaches itself with CONNECT through the proxy (e.g. `chatgpt.com:443` for a ChatGPT
   * login), allowed even when the group's network is `none`.
   */
  readonly connectHosts?: readonly string[];
  readonly exceptions?: readonly ProviderEgressException[];
}

/** Port of the in-sandbox relay to the host proxy (the sandbox's own loopback; nothing else listens there). */
export const EGRESS_PROXY_PORT = 3128;

/**
 * The proxy variables every isolated sandbox gets: ordinary HTTP clients (curl, git, pip, Codex's reqwest, Bun)
 * send everything but loopback through the host proxy. Providers pass them on to their runtime's process.
 */
export const EGRESS_PROXY_ENV_KEYS = [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'http_proxy',
  'https_proxy',
  'NO_PROXY',
  'no_proxy',
] as const;

/** The proxy variables' values for a relay on `port`. */
export function egressProxyEnv(port: number = EGRESS_PROXY_PORT): Record<string, string> {
  const proxy = `http://127.0.0.1:${port}`;
  const noProxy = '127.0.0.1,localhost,::1';
  return {
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
}
