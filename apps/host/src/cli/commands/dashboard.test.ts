import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import { startHostHarness } from '../host-harness.js';
import { browserCommand, type OpenResult } from '../open-browser.js';
import { runCli } from '../test-utils.js';

const harness = perTest(startHostHarness);

const LINK =
  /^dashboard login link \(works once, for 5 minutes\):\n {2}(http:\/\/127\.0\.0\.1:\d+\/auth\/login\?code=[A-Za-z0-9_-]{43})\n$/;

describe('nanoclaw dashboard, against the real host', () => {
  it('prints a login link that signs a browser in once', async () => {
    const run = await harness.run(['dashboard', '--no-open']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const url = LINK.exec(run.stdout)?.[1] ?? '';
    expect(url).not.toBe('');
    const first = await fetch(url, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('set-cookie')).toMatch(/^nanoclaw_session=/);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(401);
  });

  it('opens the link in the browser when one is there', async () => {
    const opened: string[] = [];
    const openBrowser = async (url: string): Promise<OpenResult> => {
      opened.push(url);
      return { opened: true, command: 'xdg-open' };
    };
    const run = await runCli(['dashboard'], { loadConfig: () => harness.config, env: {}, openBrowser });
    expect(run.code).toBe(0);
    expect(opened).toEqual([LINK.exec(run.stdout)?.[1]]);
    expect(run.stderr).toBe('opened it with xdg-open\n');
  });

  it('only prints the link where no browser can be opened, and still succeeds', async () => {
    const run = await harness.run(['dashboard']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(LINK);
    expect(run.stderr).toBe('not opened (no graphical session here): open the link in a browser yourself\n');
    const failing = await runCli(['dashboard'], {
      loadConfig: () => harness.config,
      env: {},
      openBrowser: async () => ({ opened: false, reason: 'xdg-open: spawn xdg-open ENOENT' }),
    });
    expect(failing.code).toBe(0);
    expect(failing.stderr).toContain('not opened (xdg-open: spawn xdg-open ENOENT)');
  });

  it('prints JSON with --json', async () => {
    const run = await harness.run(['dashboard', '--no-open', '--json']);
    expect(JSON.parse(run.stdout)).toEqual({
      url: expect.stringContaining('/auth/login?code='),
      expiresAt: expect.any(Number),
    });
  });
});

describe('browserCommand', () => {
  it('is open on macOS, xdg-open in a graphical session, nothing on a bare server', () => {
    expect(browserCommand('darwin', {})).toBe('open');
    expect(browserCommand('linux', { DISPLAY: ':0' })).toBe('xdg-open');
    expect(browserCommand('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toBe('xdg-open');
    expect(browserCommand('linux', {})).toBeUndefined();
  });
});
