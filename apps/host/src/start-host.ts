import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '@nanoclaw/core';
import { type NanoclawDatabase, openDatabase } from '@nanoclaw/db';
import type { HostConfig } from './config.js';
import { ensureGroupsDir } from './groups-dir.js';

export interface RunningHost {
  readonly url: string;
  readonly database: NanoclawDatabase;
  /** Stops intake, closes the HTTP server and the database. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the host on its configuration: the database in the data dir (migrated), the groups folder with its
 * `global` and `main` groups, and the local HTTP endpoint.
 */
export async function startHost(config: HostConfig, logger: Logger): Promise<RunningHost> {
  fs.mkdirSync(config.NANOCLAW_DATA_DIR, { recursive: true, mode: 0o700 });
  const database = await openDatabase({ path: path.join(config.NANOCLAW_DATA_DIR, 'nanoclaw.db') });
  try {
    const main = ensureGroupsDir(config.NANOCLAW_GROUPS_DIR);
    await registerMainGroup(database, main.folder);
    const server = await listen(config, logger);
    const address = server.address() as AddressInfo;
    const url = `http://${config.NANOCLAW_HTTP_HOST}:${address.port}`;
    logger.info(
      { url, dataDir: config.NANOCLAW_DATA_DIR, groupsDir: config.NANOCLAW_GROUPS_DIR, timezone: config.TZ },
      'NanoClaw host ready',
    );
    let stopped: Promise<void> | undefined;
    return {
      url,
      database,
      stop: () => {
        stopped ??= (async () => {
          await new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeAllConnections();
          await database.close();
          logger.info('NanoClaw host stopped');
        })();
        return stopped;
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function registerMainGroup(database: NanoclawDatabase, folder: string): Promise<void> {
  const now = Date.now();
  await database.db
    .insertInto('agent_groups')
    .values({ id: folder, folder, name: 'Main', is_main: 1, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('folder').doNothing())
    .execute();
}

function listen(config: HostConfig, logger: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EADDRINUSE'
          ? ` (port ${config.NANOCLAW_HTTP_PORT} is taken: is another host running? set NANOCLAW_HTTP_PORT)`
          : '';
      reject(
        new Error(
          `cannot listen on ${config.NANOCLAW_HTTP_HOST}:${config.NANOCLAW_HTTP_PORT}: ${error.message}${hint}`,
        ),
      );
    });
    server.listen(config.NANOCLAW_HTTP_PORT, config.NANOCLAW_HTTP_HOST, () => {
      server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
      resolve(server);
    });
  });
}
