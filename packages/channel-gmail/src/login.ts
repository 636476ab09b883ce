import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { ChannelError } from '@nanoclaw/channel-registry';
import { errorMessage } from '@nanoclaw/core';
import { writeToken } from './account-store.js';
import { createGmailApi, createOAuthClient, GMAIL_SCOPE } from './gmail-api.js';
import { profile } from './mailbox.js';

/** In paste mode nothing listens: the browser shows an error page, and its address bar holds the code. */
export const PASTE_REDIRECT_PORT = 8085;

export interface GmailLoginOptions {
  clientId: string;
  clientSecret: string;
  /** Where the refresh token goes (`<dataDir>/gmail/<accountId>`), 0600. */
  accountDir: string;
  /** Consent page, token endpoint and REST root (a loopback fake in tests). */
  authUrl?: string;
  tokenUrl?: string;
  apiRoot?: string;
  /**
   * No local redirect: the user opens the URL on any machine, signs in, and pastes the address the browser was
   * sent to (it starts with `http://127.0.0.1`) into `input`. For a machine without a browser.
   */
  paste?: boolean;
  /** Where the pasted URL is read from (default stdin). */
  input?: NodeJS.ReadableStream;
  /** Each line to show the user. */
  print(line: string): void;
  /** Opens the consent URL in a browser where one is; resolves false where none is. */
  openBrowser?(url: string): Promise<boolean>;
  /** Port of the local redirect listener (default: any free one). */
  port?: number;
  /** How long to wait for the sign-in (default 5 minutes). */
  timeoutMs?: number;
}

/**
 * `nanoclaw channels login gmail`: OAuth2 for an installed app with PKCE. Prints the consent URL (and opens it
 * where a browser is), catches the redirect to `http://127.0.0.1:<port>` — or, with `paste`, reads the
 * redirected URL the user copies from the browser — exchanges the code, and stores the refresh token 0600.
 * Resolves with the account's address.
 */
export async function loginGmail(options: GmailLoginOptions): Promise<{ email: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const listener = options.paste ? undefined : await listenForRedirect(state, options.port ?? 0);
  try {
    const redirectUri = `http://127.0.0.1:${listener?.port ?? options.port ?? PASTE_REDIRECT_PORT}`;
    const oauth = createOAuthClient({ ...options, redirectUri });
    const url = oauth.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: [GMAIL_SCOPE],
      state,
      code_challenge_method: 'S256' as never,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    });
    options.print('Sign in to Google with the Gmail account the assistant should use, at:');
    options.print(url);
    const opened = options.paste ? false : await options.openBrowser?.(url);
    if (!options.paste && !opened)
      options.print('(No browser opened here: open the URL above on this machine.)');
    if (options.paste) {
      options.print(
        'After signing in, the browser shows an error page for http://127.0.0.1:… — that is expected.',
      );
      options.print('Copy the whole address from its address bar and paste it here:');
    }
    const code = await withTimeout(
      listener ? listener.code : readPastedCode(options.input ?? process.stdin, state),
      options.timeoutMs ?? 5 * 60_000,
    );
    const { tokens } = await oauth.getToken({ code, codeVerifier: verifier, redirect_uri: redirectUri });
    if (!tokens.refresh_token) {
      throw new ChannelError(
        'Google returned no refresh token: remove the app at https://myaccount.google.com/permissions and sign in again',
        { permanent: true },
      );
    }
    const api = createGmailApi({ ...options, refreshToken: tokens.refresh_token });
    const { email } = await profile(api);
    await writeToken(options.accountDir, { refreshToken: tokens.refresh_token, email });
    return { email };
  } finally {
    await listener?.close();
  }
}

/** The code from a redirected URL, after checking its state; throws with what went wrong. */
export function codeFromRedirect(value: string, state: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ChannelError('that is not a URL: paste the whole address from the browser', {
      permanent: true,
    });
  }
  const error = url.searchParams.get('error');
  if (error) throw new ChannelError(`Google refused the sign-in: ${error}`, { permanent: true });
  if (url.searchParams.get('state') !== state) {
    throw new ChannelError('the address is from another sign-in attempt (state differs): start again', {
      permanent: true,
    });
  }
  const code = url.searchParams.get('code');
  if (!code) throw new ChannelError('the address has no code: paste the whole address', { permanent: true });
  return code;
}

async function readPastedCode(input: NodeJS.ReadableStream, state: string): Promise<string> {
  const lines = createInterface({ input, terminal: false });
  try {
    for await (const line of lines) {
      if (line.trim() !== '') return codeFromRedirect(line, state);
    }
  } finally {
    lines.close();
  }
  throw new ChannelError('no address was pasted (input ended)', { permanent: true });
}

interface RedirectListener {
  port: number;
  code: Promise<string>;
  close(): Promise<void>;
}

/** A one-shot listener on 127.0.0.1 that takes the browser's redirect and answers with a plain page. */
async function listenForRedirect(state: string, port: number): Promise<RedirectListener> {
  let settle: { resolve(code: string): void; reject(error: Error): void } | undefined;
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const server = http.createServer((req, res) => {
    const url = `http://127.0.0.1${req.url ?? '/'}`;
    if (!url.includes('code=') && !url.includes('error=')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const found = codeFromRedirect(url, state);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('NanoClaw is signed in to Gmail. You can close this tab.\n');
      settle?.resolve(found);
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Sign-in failed: ${errorMessage(error)}\n`);
      settle?.reject(error instanceof Error ? error : new Error(errorMessage(error)));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    code,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ChannelError(`no sign-in within ${Math.round(ms / 1000)} s`, { permanent: true })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
