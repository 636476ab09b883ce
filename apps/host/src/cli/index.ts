export type { CliContext, CliDeps } from './cli-context.js';
export { createCliContext, hostBaseUrl } from './cli-context.js';
export type { TextSink } from './cli-io.js';
export { CliError, EXIT } from './cli-io.js';
export type { DoctorDeps } from './commands/doctor.js';
export type { CheckStatus, DoctorCheck } from './doctor/doctor-check.js';
export { blocksStart, formatDoctorReport } from './doctor/doctor-check.js';
export type { DoctorOptions } from './doctor/run-doctor.js';
export { runDoctor } from './doctor/run-doctor.js';
export type { RuntimeProbe } from './doctor/system-checks.js';
export { formatDuration, parseDuration } from './duration.js';
export type { EventStream, HostClient, HostClientOptions, TaskAction } from './host-client.js';
export { createHostClient, hostNotRunningMessage } from './host-client.js';
export type { CommandDeps } from './register-commands.js';
export { registerCommands } from './register-commands.js';
export type {
  ReplyOutcome,
  ReplyWatcher,
  ReplyWatcherOptions,
  RunRetry,
  WaitHandlers,
} from './reply-watcher.js';
export { createReplyWatcher } from './reply-watcher.js';
