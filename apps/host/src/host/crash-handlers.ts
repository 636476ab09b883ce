import type { Logger } from '@nanoclaw/core';

/** What the crash handlers listen on: `process` by default. */
export interface CrashSource {
  on(event: 'unhandledRejection' | 'uncaughtException', listener: (error: unknown) => void): unknown;
  off(event: 'unhandledRejection' | 'uncaughtException', listener: (error: unknown) => void): unknown;
}

export interface CrashHandlerOptions {
  logger: Logger;
  /** The host's clean stop (drain, flush, close); called once, whatever the number of crashes. */
  stop: () => Promise<void>;
  /** Ends the process; `process.exit` by default. */
  exit?: (code: number) => void;
  source?: CrashSource;
}

/** The exit code after a crash: not 0 (a service manager restarts the host), not a signal's 128 + n. */
export const CRASH_EXIT_CODE = 70;

/**
 * A promise nobody waited for rejected, or an exception reached the event loop: the host is in a state nobody
 * planned for, so it logs the error and stops as after a Ctrl-C (intake closed, running turns drained, replies
 * flushed, the database closed), then exits non-zero. What was in flight is stored: the next start runs it. A
 * further crash while stopping is logged only. Returns the uninstaller.
 */
export function installCrashHandlers(options: CrashHandlerOptions): () => void {
  const source = options.source ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping: Promise<void> | undefined;
  const onCrash = (kind: string) => (error: unknown) => {
    if (stopping) {
      options.logger.error({ err: error, kind }, 'another crash while stopping after a crash');
      return;
    }
    options.logger.fatal({ err: error, kind }, 'crashed: stopping cleanly, then exiting');
    stopping = options.stop().then(
      () => exit(CRASH_EXIT_CODE),
      (stopError: unknown) => {
        options.logger.error({ err: stopError }, 'the stop after a crash failed');
        exit(CRASH_EXIT_CODE);
      },
    );
  };
  const onRejection = onCrash('unhandled rejection');
  const onException = onCrash('uncaught exception');
  source.on('unhandledRejection', onRejection);
  source.on('uncaughtException', onException);
  return () => {
    source.off('unhandledRejection', onRejection);
    source.off('uncaughtException', onException);
  };
}
