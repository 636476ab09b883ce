export type { HostConfig, LoadConfigOptions } from './config.js';
export { ConfigError, configSchema, loadConfig, SECRET_KEYS } from './config.js';
export { ensureGroupsDir } from './groups-dir.js';
export type { LoggerOptions } from './logger.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export type { RunningHost } from './start-host.js';
export { startHost } from './start-host.js';
