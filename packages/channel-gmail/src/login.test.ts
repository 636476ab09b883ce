import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createContractHost } from '@nanoclaw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { accountDir, readToken } from './account-store.js';
import { createFakeGmailServer, type FakeGmailServer } from './fake-gmail-server.js';
import { createGmailChannel } from './gmail-channel.js';
import { codeFromRedirect, loginGmail } from './login.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const server = await createFakeGmailServer();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-gmail-login-'));
  cleanups.push(async () => {
    await server.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  const lines: string[] = [];
  const base = {
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    accountDir: accountDir(dataDir, 'default'),
    authUrl: server.authUrl,
    tokenUrl: server.tokenUrl,
    apiRoot: server.url,
    print: (line: string) => lines.push(line),
    timeoutMs: 10_000,
  };
  const consentUrl = async () => {
    for (let i = 0; i < 200 && !lines.some((l) => l.startsWith('http')); i++)
      await new Promise((r) => setTimeout(r, 10));
    const url = lines.find((l) => l.startsWith('http'));
    if (!url) throw new Error('no consent URL printed');
    return url;
  };
  return { server, base, lines, consentUrl };
}

/** The stored sign-in works: an adapter started on it reads mail. */
async function signedInWorks(server: FakeGmailServer, dir: string) {
  const adapter = createGmailChannel({
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    accountDir: dir,
    apiRoot: server.url,
    tokenUrl: server.tokenUrl,
    pollIntervalMs: 30,
  });
  const host = createContractHost();
  await adapter.start(host);
  try {
    await server.inject({ from: 'alice@example.com', text: 'hello after login' });
    await host.waitForStored(1);
  } finally {
    await adapter.stop();
  }
}

describe('loginGmail', () => {
  it('catches the redirect to 127.0.0.1 and stores the refresh token 0600', async () => {
    const { server, base, lines, consentUrl } = await setup();
    const login = loginGmail({ ...base, openBrowser: async () => false });
    const url = new URL(await consentUrl());
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('access_type')).toBe('offline');
    // The browser: the consent page redirects to the local listener, which answers with a plain page.
    const page = await fetch(url);
    expect(await page.text()).toContain('signed in to Gmail');
    await expect(login).resolves.toEqual({ email: server.email });
    expect(lines.join('\n')).toContain('No browser opened here');
    const token = await readToken(base.accountDir);
    expect(token?.email).toBe(server.email);
    expect((await fs.stat(path.join(base.accountDir, 'token.json'))).mode & 0o777).toBe(0o600);
    expect(lines.join('\n')).not.toContain(token?.refreshToken);
    await signedInWorks(server, base.accountDir);
  });

  it('on a headless machine takes the pasted redirected URL', async () => {
    const { server, base, lines, consentUrl } = await setup();
    const input = new PassThrough();
    const login = loginGmail({ ...base, paste: true, input });
    const consent = await fetch(await consentUrl(), { redirect: 'manual' });
    const redirected = consent.headers.get('location') ?? '';
    expect(redirected).toMatch(/^http:\/\/127\.0\.0\.1:8085\/?\?code=/);
    input.write(`  ${redirected}  \n`);
    await expect(login).resolves.toEqual({ email: server.email });
    expect(lines.join('\n')).toContain('paste it here');
    await signedInWorks(server, base.accountDir);
  });

  it('refuses a pasted URL from another attempt or without a code', () => {
    expect(() => codeFromRedirect('http://127.0.0.1:8085/?code=x&state=other', 'mine')).toThrow(
      /another sign-in/,
    );
    expect(() => codeFromRedirect('http://127.0.0.1:8085/?state=mine', 'mine')).toThrow(/no code/);
    expect(() => codeFromRedirect('http://127.0.0.1:8085/?error=access_denied&state=mine', 'mine')).toThrow(
      /access_denied/,
    );
    expect(() => codeFromRedirect('4/abc', 'mine')).toThrow(/not a URL/);
  });
});
