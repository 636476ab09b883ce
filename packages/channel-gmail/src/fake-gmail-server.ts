/**
 * A loopback fake of the Gmail REST API and Google's OAuth endpoints, enough for the channel and its tests:
 * profile, history (with a 404 once the history is "too old"), messages list/get (raw, full, metadata), modify,
 * send, threads.get, labels list/create, the token endpoint (refresh and authorization-code grants with PKCE,
 * 401 for an unknown or expired access token) and a consent URL that redirects at once. Faults: any request
 * can be made to answer 429 with Retry-After (or any status). Exported from `@nanoclaw/channel-gmail/test`.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createFakeWaiters, readBody, sendJson } from '@nanoclaw/channel-registry/test';
import { simpleParser } from 'mailparser';
import { createFakeMailbox, type FakeMailbox } from './fake-gmail-mailbox.js';

export type { FakeInjectInput, FakeMail, FakeSentMail } from './fake-gmail-mailbox.js';

export interface FakeFault {
  /** Which requests fail: a method (`GET`) and a path fragment (`/messages/send`). */
  method?: string;
  pathIncludes?: string;
  status: number;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  /** How many matching requests fail (default 1). */
  times?: number;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The bearer token sent, if any. */
  token: string | undefined;
}

export interface FakeGmailServer extends FakeMailbox {
  /** `http://127.0.0.1:<port>/` — the Gmail REST root (`GMAIL_API_ROOT`). */
  readonly url: string;
  /** The token endpoint (`GMAIL_TOKEN_URL`). */
  readonly tokenUrl: string;
  /** The consent page (`GMAIL_AUTH_URL`): redirects to the redirect URI with a code at once. */
  readonly authUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** A refresh token the fake accepts (as if `channels login` had stored it). */
  readonly refreshToken: string;
  /** Every request, in order. */
  readonly requests: readonly FakeRequest[];
  /** How many access tokens the token endpoint handed out. */
  readonly tokensIssued: number;
  failNext(fault: FakeFault): void;
  /** Every access token handed out so far answers 401 from now on (as an early revocation would). */
  expireAccessTokens(): void;
  /** History ids up to now are "too old": `history.list` from any of them answers 404. */
  expireHistory(): void;
  /** Destroys open connections (the client sees a network error); the server stays up. */
  dropConnections(): void;
  /** Resolves once `check()` holds (re-checked after each request). */
  waitUntil(check: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export interface FakeGmailServerOptions {
  /** The account's address (default `assistant@example.com`). */
  email?: string;
}

interface AuthState {
  refreshTokens: Set<string>;
  accessTokens: Set<string>;
  codes: Map<string, { redirectUri: string; challenge: string | undefined }>;
  issued: number;
}

export async function createFakeGmailServer(options: FakeGmailServerOptions = {}): Promise<FakeGmailServer> {
  const mailbox = createFakeMailbox(options.email ?? 'assistant@example.com');
  const clientId = 'fake-client-id.apps.googleusercontent.com';
  const clientSecret = `fake-secret-${randomBytes(6).toString('hex')}`;
  const refreshToken = `1//fake-refresh-${randomBytes(8).toString('hex')}`;
  const auth: AuthState = {
    refreshTokens: new Set([refreshToken]),
    accessTokens: new Set(),
    codes: new Map(),
    issued: 0,
  };
  const requests: FakeRequest[] = [];
  const faults: FakeFault[] = [];
  const waiters = createFakeWaiters('fake gmail');
  const sockets = new Set<Socket>();
  let base = '';

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 500, message: String(error) } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const body = await readBody(req);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const request = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, token };
    requests.push(request);
    try {
      if (answerFault(request, res)) return;
      if (url.pathname === '/token') return tokenEndpoint(res, new URLSearchParams(body.toString('utf8')));
      if (url.pathname === '/o/oauth2/v2/auth') return consent(res, url.searchParams);
      if (!token || !auth.accessTokens.has(token)) {
        sendJson(res, 401, {
          error: { code: 401, message: 'Request had invalid authentication credentials.' },
        });
        return;
      }
      await gmailRoute(request, body, res);
    } finally {
      waiters.notify();
    }
  }

  function answerFault(request: FakeRequest, res: http.ServerResponse): boolean {
    const index = faults.findIndex(
      (f) =>
        (f.method === undefined || f.method === request.method) &&
        (f.pathIncludes === undefined || request.path.includes(f.pathIncludes)),
    );
    const fault = faults[index];
    if (!fault) return false;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) faults.splice(index, 1);
    if (fault.retryAfter !== undefined) res.setHeader('retry-after', String(fault.retryAfter));
    sendJson(res, fault.status, {
      error: { code: fault.status, message: fault.status === 429 ? 'Rate Limit Exceeded' : 'Fault' },
    });
    return true;
  }

  function tokenEndpoint(res: http.ServerResponse, form: URLSearchParams): void {
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      sendJson(res, 401, {
        error: 'invalid_client',
        error_description: 'The OAuth client was not found.',
      });
      return;
    }
    const grant = form.get('grant_type');
    if (grant === 'refresh_token') {
      if (!auth.refreshTokens.has(form.get('refresh_token') ?? '')) {
        sendJson(res, 400, {
          error: 'invalid_grant',
          error_description: 'Token has been expired or revoked.',
        });
        return;
      }
      sendJson(res, 200, issueAccess());
      return;
    }
    if (grant === 'authorization_code') exchangeCode(res, form);
    else sendJson(res, 400, { error: 'unsupported_grant_type' });
  }

  function exchangeCode(res: http.ServerResponse, form: URLSearchParams): void {
    const code = auth.codes.get(form.get('code') ?? '');
    const verifier = form.get('code_verifier');
    const challengeOk =
      code?.challenge === undefined ||
      (verifier !== null && createHash('sha256').update(verifier).digest('base64url') === code.challenge);
    if (!code || code.redirectUri !== form.get('redirect_uri') || !challengeOk) {
      sendJson(res, 400, { error: 'invalid_grant', error_description: 'Malformed auth code.' });
      return;
    }
    auth.codes.delete(form.get('code') ?? '');
    const refresh = `1//fake-refresh-${randomBytes(8).toString('hex')}`;
    auth.refreshTokens.add(refresh);
    sendJson(res, 200, { ...issueAccess(), refresh_token: refresh });
  }

  function issueAccess() {
    const access = `ya29.fake-${randomBytes(8).toString('hex')}`;
    auth.accessTokens.add(access);
    auth.issued += 1;
    return {
      access_token: access,
      expires_in: 3599,
      token_type: 'Bearer',
      scope: 'https://www.googleapis.com/auth/gmail.modify',
    };
  }

  function consent(res: http.ServerResponse, query: URLSearchParams): void {
    const redirectUri = query.get('redirect_uri');
    if (query.get('client_id') !== clientId || !redirectUri) {
      sendJson(res, 400, { error: 'invalid_request' });
      return;
    }
    const code = `4/fake-code-${randomBytes(6).toString('hex')}`;
    auth.codes.set(code, { redirectUri, challenge: query.get('code_challenge') ?? undefined });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    target.searchParams.set('state', query.get('state') ?? '');
    target.searchParams.set('scope', query.get('scope') ?? '');
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  async function gmailRoute(request: FakeRequest, body: Buffer, res: http.ServerResponse): Promise<void> {
    const prefix = '/gmail/v1/users/me/';
    if (!request.path.startsWith(prefix)) {
      sendJson(res, 404, { error: { code: 404, message: 'Not Found' } });
      return;
    }
    const rest = request.path.slice(prefix.length).split('/');
    const json = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    const answer = await mailboxRoute(request, rest, json);
    sendJson(res, answer.status, answer.body);
  }

  async function mailboxRoute(
    request: FakeRequest,
    rest: string[],
    json: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown }> {
    const [head, id, action] = rest;
    const { method, query } = request;
    if (head === 'profile') return ok(mailbox.profile());
    if (head === 'history' && method === 'GET') return mailbox.history(query);
    if (head === 'labels' && method === 'GET') return ok({ labels: mailbox.labels() });
    if (head === 'labels' && method === 'POST') return ok(mailbox.createLabel(String(json.name ?? '')));
    if (head === 'threads' && id) return found(mailbox.thread(id, query));
    if (head !== 'messages') return { status: 404, body: { error: { code: 404, message: 'Not Found' } } };
    if (id === 'send' && method === 'POST') return ok(await sendMail(json));
    if (!id && method === 'GET') return ok(mailbox.list(query));
    if (id && action === 'modify') return found(mailbox.modify(id, json));
    if (id && method === 'GET') return found(mailbox.get(id, query.get('format') ?? 'full'));
    return { status: 404, body: { error: { code: 404, message: 'Not Found' } } };
  }

  async function sendMail(json: Record<string, unknown>) {
    const raw = Buffer.from(String(json.raw ?? ''), 'base64url');
    const parsed = await simpleParser(raw);
    return mailbox.recordSent(raw, parsed, typeof json.threadId === 'string' ? json.threadId : undefined);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const fake: FakeGmailServer = {
    ...mailbox,
    url: base,
    tokenUrl: `${base}token`,
    authUrl: `${base}o/oauth2/v2/auth`,
    clientId,
    clientSecret,
    refreshToken,
    requests,
    get tokensIssued() {
      return auth.issued;
    },
    failNext(fault: FakeFault) {
      faults.push({ ...fault });
    },
    expireAccessTokens() {
      auth.accessTokens.clear();
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    waitUntil(check: () => boolean, timeoutMs = 10_000, what = 'a condition') {
      return waiters.waitUntil(check, timeoutMs, what);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return fake;
}

function ok(body: unknown) {
  return { status: 200, body };
}

function found(body: unknown) {
  return body === undefined
    ? { status: 404, body: { error: { code: 404, message: 'Requested entity was not found.' } } }
    : { status: 200, body };
}
