import fs from 'node:fs';
import path from 'node:path';
import { createFakeGmailServer } from '@nanoclaw/channel-gmail/test';
import { afterEach, describe, expect, it } from 'vitest';
import { configFor, runCli, tempDir } from '../test-utils.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

function project(env: Record<string, string> = {}) {
  const root = tempDir();
  roots.push(root);
  return {
    root,
    run: (args: string[], deps = {}) => runCli(args, { loadConfig: () => configFor(root, env), ...deps }),
  };
}

describe('nanoclaw channels login', () => {
  it('says which keys to set first when the Gmail client is not configured', async () => {
    const result = await project().run(['channels', 'login', 'gmail']);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('set GMAIL_CLIENT_ID and GMAIL_CLIENT_SECRET in .env first');
  });

  it('knows gmail only', async () => {
    const result = await project().run(['channels', 'login', 'telegram']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('channels login knows gmail, not "telegram"');
  });

  it('signs in through the browser redirect and stores the token 0600 for the account', async () => {
    const fake = await createFakeGmailServer();
    try {
      const { root, run } = project({
        GMAIL_CLIENT_ID__WORK: fake.clientId,
        GMAIL_CLIENT_SECRET__WORK: fake.clientSecret,
        GMAIL_API_ROOT__WORK: fake.url,
        GMAIL_TOKEN_URL__WORK: fake.tokenUrl,
        GMAIL_AUTH_URL__WORK: fake.authUrl,
      });
      // The "browser": follows the consent page's redirect to the command's loopback listener.
      const result = await run(['channels', 'login', 'gmail', '--account', 'work'], {
        openBrowser: async (url: string) => {
          await fetch(url);
          return { opened: true, command: 'test-browser' };
        },
      });
      expect(result.stdout).toContain(`signed in to Gmail as ${fake.email} (account work)`);
      expect(result.code).toBe(0);
      const token = path.join(root, 'data', 'gmail', 'work', 'token.json');
      expect(fs.statSync(token).mode & 0o777).toBe(0o600);
      expect(result.stderr).not.toContain(JSON.parse(fs.readFileSync(token, 'utf8')).refreshToken);
    } finally {
      await fake.close();
    }
  });
});
