import fs from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Headers of every dashboard response: its pages, assets and sign-in pages. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The content types of what the dashboard's build writes (Vite: html, js, css, svg, fonts, images, source maps);
 * anything else is served as bytes.
 */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

/**
 * Where the dashboard's built files are: `dist/` of the `@nanoclaw/dashboard` package as resolved from `from`
 * (this module), when it is installed; undefined when it is not.
 */
export function defaultDashboardDir(from: string = import.meta.url): string | undefined {
  try {
    const manifest = createRequire(from).resolve('@nanoclaw/dashboard/package.json');
    return path.join(path.dirname(manifest), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * Whether a GET is for the dashboard's files rather than the API: `/`, `/index.html`, `/assets/…`, and a
 * top-level file the build wrote (`/favicon.svg`). Anything else goes to the API (and its token check).
 */
export function isDashboardPath(pathname: string, dir: string | undefined): boolean {
  if (pathname === '/' || pathname === '/index.html' || pathname.startsWith('/assets/')) return true;
  if (dir === undefined || !/^\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(pathname)) return false;
  return fs.statSync(path.join(dir, pathname), { throwIfNoEntry: false })?.isFile() === true;
}

/**
 * Answers a GET or HEAD for one of the dashboard's files: `index.html` never cached, hashed assets cached for
 * good. Only regular files under `dir` (symlinks resolved, then checked to stay inside) are served; anything
 * else is 404. Without a built `index.html`, `/` is 503 saying how to build it.
 */
export async function serveDashboardFile(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  dir: string | undefined,
  pathname: string,
): Promise<void> {
  const wanted = pathname === '/' ? '/index.html' : pathname;
  const file = dir === undefined ? undefined : await resolveInside(dir, wanted);
  if (!file) {
    if (wanted === '/index.html') {
      sendPage(
        res,
        503,
        'The dashboard is not built: run `pnpm build` in the NanoClaw checkout, then reload.',
      );
    } else {
      sendPage(res, 404, 'Not found.');
    }
    return;
  }
  res.writeHead(200, {
    ...DASHBOARD_HEADERS,
    'content-type': CONTENT_TYPES[path.extname(file.path).toLowerCase()] ?? 'application/octet-stream',
    'content-length': file.size,
    'cache-control': cachePolicy(wanted),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(fs.createReadStream(file.path), res).catch((error: unknown) => {
    // The browser went away (a reload, a closed tab) before the file was out: nothing is wrong with the host.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  });
}

/** A small HTML page (the sign-in results, a missing build); `message` is plain text. */
export function sendPage(res: http.ServerResponse, status: number, message: string): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>NanoClaw</title></head><body><p>${escapeHtml(message)}</p></body></html>\n`;
  res.writeHead(status, {
    ...DASHBOARD_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

function cachePolicy(wanted: string): string {
  if (wanted === '/index.html') return 'no-store';
  return wanted.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/** The real path of `wanted` (as the URL has it, percent-encoded) when it is a regular file inside `dir`. */
async function resolveInside(
  dir: string,
  wanted: string,
): Promise<{ path: string; size: number } | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(wanted);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.split(/[/\\]/).some((segment) => segment === '..')) return undefined;
  try {
    const root = await fs.promises.realpath(dir);
    const real = await fs.promises.realpath(path.join(root, decoded));
    if (!real.startsWith(`${root}${path.sep}`)) return undefined;
    const stat = await fs.promises.stat(real);
    return stat.isFile() ? { path: real, size: stat.size } : undefined;
  } catch {
    return undefined;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
