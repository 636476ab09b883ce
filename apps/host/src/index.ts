/**
 * Running the host from code, as `nanoclaw start` does: `loadConfig`, `createLogger`, `startHost`, and the types
 * of the HTTP API it serves. Everything else (the pool, the queue wiring, the stores) is internal to the host.
 */
export type { HostConfig, LoadConfigOptions } from './config.js';
export { ConfigError, loadConfig } from './config.js';
export { HOST_VERSION } from './host/compose-host.js';
export type {
  AddGroupInput,
  AddTaskInput,
  GroupConfigView,
  GroupStatus,
  GroupView,
  HostApi,
  HostEvent,
  HostStatus,
  MessageView,
  PostedMessage,
  Readiness,
  SandboxState,
  SandboxView,
  TaskView,
  UsageQuery,
  UsageView,
} from './host-api.js';
export { HostApiError } from './host-api.js';
export type { LoggerOptions } from './logger.js';
export { createLogger } from './logger.js';
export type { RunningHost, StartHostOptions } from './start-host.js';
export { startHost } from './start-host.js';
