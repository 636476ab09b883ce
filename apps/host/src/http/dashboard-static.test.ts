import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger as silent } from '@nanoclaw/core';
import { type LogLine, memoryLogger } from '@nanoclaw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DASHBOARD_HEADERS, defaultDashboardDir } from './dashboard-static.js';
import { createHttpApi } from './http-api.js';
import { createFakeHostApi } from './test-utils.js';

const TOKEN = 'test-token-0123456789abcdef';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A temp project: `dist/` with what a dashboard build writes, and a secret beside it. */
function fakeBuild(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-dashboard-'));
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const dist = path.join(root, 'dist');
  fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="app"></div>');
  fs.writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dist, 'assets', 'index-abc123.css'), 'body{}');
  fs.writeFileSync(path.join(dist, 'favicon.svg'), '<svg/>');
  fs.writeFileSync(path.join(root, 'secret.txt'), 'do not serve');
  fs.symlinkSync(path.join(root, 'secret.txt'), path.join(dist, 'assets', 'link.txt'));
  return dist;
}

async function start(dashboardDir: string, logger = silent) {
  const httpApi = createHttpApi({
    api: createFakeHostApi(),
    token: TOKEN,
    logger,
    port: 0,
    dashboardDir,
  });
  const url = await httpApi.listen();
  cleanups.push(() => httpApi.close());
  return url;
}

/** A GET with the path exactly as given. */
function rawGet(url: string, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = http.get({ hostname, port, path: rawPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

function expectDashboardHeaders(res: Response): void {
  for (const [name, value] of Object.entries(DASHBOARD_HEADERS)) expect(res.headers.get(name)).toBe(value);
}

describe('the dashboard’s files', () => {
  it('serves index.html at / without a token, never cached, with the strict headers', async () => {
    const url = await start(fakeBuild());
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expectDashboardHeaders(res);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await res.text()).toBe('<!doctype html><div id="app"></div>');
  });

  it('serves hashed assets as immutable and top-level files of the build', async () => {
    const url = await start(fakeBuild());
    const script = await fetch(`${url}/assets/index-abc123.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expectDashboardHeaders(script);
    expect(await script.text()).toBe('console.log(1)');
    const style = await fetch(`${url}/assets/index-abc123.css`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await fetch(`${url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    const head = await fetch(`${url}/assets/index-abc123.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('14');
  });

  it('a browser that goes away mid-file is not an error of the host', async () => {
    const dist = fakeBuild();
    fs.writeFileSync(path.join(dist, 'assets', 'big-0123.js'), Buffer.alloc(8 * 1024 * 1024, 0x61));
    const lines: LogLine[] = [];
    const url = await start(dist, memoryLogger(lines));
    const { hostname, port } = new URL(url);
    await new Promise<void>((resolve) => {
      const req = http.get({ hostname, port, path: '/assets/big-0123.js' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    expect((await fetch(`${url}/`)).status).toBe(200);
  });

  it('serves nothing outside the build: traversal, encoded traversal and symlinks out', async () => {
    const url = await start(fakeBuild());
    // Sent as they are (fetch would normalise them first).
    const probes: Array<[string, number]> = [
      ['/assets/..%2f..%2fsecret.txt', 404],
      ['/assets/%2e%2e%2f%2e%2e%2fsecret.txt', 404],
      ['/assets/link.txt', 404],
      ['/assets/missing.js', 404],
      // The URL parser folds these dots away: what is left is not a file of the build, so the API refuses it.
      ['/assets/../../secret.txt', 401],
      ['/assets/%2e%2e/%2e%2e/secret.txt', 401],
    ];
    for (const [probe, status] of probes) {
      const res = await rawGet(url, probe);
      expect(res.status, probe).toBe(status);
      expect(res.body).not.toContain('do not serve');
    }
  });

  it('leaves other paths to the API: without a token they are refused', async () => {
    const url = await start(fakeBuild());
    expect((await fetch(`${url}/secret.txt`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/status`)).status).toBe(401);
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(401);
  });

  it('answers 503 with what to run when the dashboard is not built', async () => {
    const url = await start(path.join(os.tmpdir(), 'nanoclaw-no-such-dashboard'));
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('run `pnpm build`');
  });
});

describe('defaultDashboardDir', () => {
  it('finds dist/ of the installed @nanoclaw/dashboard package, and nothing when it is not installed', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-dashboard-pkg-'));
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const from = pathToFileURL(path.join(root, 'apps', 'host', 'dist', 'cli.js')).href;
    // Nothing under the project while it has no package; Node may still find the workspace's own copy through
    // NODE_PATH (set by `pnpm run`), which is right for a real install.
    const before = defaultDashboardDir(from);
    expect(before === undefined || !before.startsWith(fs.realpathSync(root))).toBe(true);
    const pkg = path.join(root, 'node_modules', '@nanoclaw', 'dashboard');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({
        name: '@nanoclaw/dashboard',
        exports: { './package.json': './package.json', './dist/*': './dist/*' },
      }),
    );
    expect(defaultDashboardDir(from)).toBe(path.join(fs.realpathSync(pkg), 'dist'));
  });
});
