export type { HostConfig, LoadConfigOptions } from './config.js';
export { ConfigError, configSchema, loadConfig, SECRET_KEYS } from './config.js';
export { ensureGroupsDir } from './groups-dir.js';
export type { CreateHostOptions, PoolContext } from './host/compose-host.js';
export { createHost, HOST_VERSION } from './host/compose-host.js';
export type {
  AddGroupInput,
  AddTaskInput,
  GroupView,
  HostApi,
  HostEvent,
  HostStatus,
  PostedMessage,
  Readiness,
  TaskView,
} from './host-api.js';
export { HostApiError } from './host-api.js';
export type { LoggerOptions } from './logger.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export type { RunningHost, StartHostOptions } from './start-host.js';
export { startHost } from './start-host.js';
