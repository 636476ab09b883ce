#!/usr/bin/env node
/**
 * The runner inside each sandbox: JSON-RPC (Content-Length framing) with the host on stdin/stdout. stdout
 * carries only the protocol; logs are JSON lines on stderr.
 */
import { fileURLToPath } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';
import { createRunner } from './runner.js';
import { createStderrLogger, parseLogLevel } from './stderr-logger.js';

// Anything printed with console.* must never corrupt the protocol stream.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

const logger = createStderrLogger({
  level: parseLogLevel(process.env.NANOCLAW_LOG_LEVEL) ?? 'info',
  bindings: { component: 'agent-runner', pid: process.pid },
});

const connection = createMessageConnection(
  new StreamMessageReader(process.stdin),
  new StreamMessageWriter(process.stdout),
);

/** Exits once what was written to stdout is flushed. */
const exit = (code: number) => {
  process.stdout.write('', () => process.exit(code));
  setTimeout(() => process.exit(code), 200).unref();
};

const runner = createRunner({
  connection,
  mcpServerPath: fileURLToPath(new URL('./mcp-server.js', import.meta.url)),
  logger,
  exit,
});

process.stdin.on('end', () => void runner.shutdown(0, 'stdin closed'));
process.stdout.on('error', () => void runner.shutdown(0, 'stdout closed'));
// stderr's reader is the host too. Once it is gone nothing can be logged, and an unhandled EPIPE went to
// uncaughtException, whose fatal log failed the same way: a busy loop that kept an orphaned runner spinning.
process.stderr.on('error', () => void runner.shutdown(0, 'stderr closed'));
process.on('SIGTERM', () => void runner.shutdown(0, 'SIGTERM'));
process.on('SIGINT', () => void runner.shutdown(0, 'SIGINT'));
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception');
  // Shutting down should not fail; if it does, the process is in no state to go on: exit at once.
  runner.shutdown(1, 'uncaught exception').catch(() => process.exit(1));
});
process.on('unhandledRejection', (reason) => {
  logger.error({ err: reason }, 'unhandled rejection');
});

runner.start();
