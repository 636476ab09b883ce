#!/usr/bin/env node
import { errorMessage } from '@nanoclaw/core';
import { Command } from 'commander';
import { registerCommands } from './cli/index.js';
import { ConfigError, loadConfig } from './config.js';
import { installCrashHandlers } from './host/crash-handlers.js';
import { createLogger } from './logger.js';
import { startHost } from './start-host.js';

const program = new Command()
  .name('nanoclaw')
  .description('Always-on host that routes chat messages to sandboxed agents')
  .version('0.1.0');

program
  .command('start')
  .description('run the host in the foreground (reads .env and the environment)')
  .action(async () => {
    const config = loadConfigOrExit();
    const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
    const host = await startHost(config, logger).catch((error: unknown) => {
      logger.fatal({ err: error }, `cannot start: ${errorMessage(error)}`);
      process.exit(1);
    });
    // A promise nobody waited for, an exception nobody caught: log it, stop cleanly, exit non-zero.
    installCrashHandlers({ logger, stop: () => host.stop() });
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        // Nothing in flight is marked done: the next start runs it again.
        logger.warn({ signal }, 'second signal: exiting now; turns in flight run again at the next start');
        process.exit(130);
      }
      logger.info({ signal }, 'shutting down: running turns finish first (send the signal again to force)');
      host.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`nanoclaw: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

registerCommands(program);

await program.parseAsync(process.argv);
