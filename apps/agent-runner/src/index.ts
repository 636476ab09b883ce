export type { ActionBridge, ActionBridgeOptions } from './action-bridge.js';
export { createActionBridge, forwardAction } from './action-bridge.js';
export type { AgentToolDefinition, ParsedToolCall } from './agent-tools.js';
export { agentTools, isAgentToolName, parseToolCall } from './agent-tools.js';
export type { AgentToolsServerOptions } from './agent-tools-server.js';
export { SUPPORTED_MCP_VERSIONS, serveAgentTools } from './agent-tools-server.js';
export type { RunnerErrorCode } from './errors.js';
export { RunnerErrorCodes } from './errors.js';
export type { ModuleImporter } from './load-provider.js';
export {
  factoryName,
  loadProvider,
  ProviderNotInstalledError,
  UnsupportedProviderVersionError,
} from './load-provider.js';
export type { RunController, RunControllerOptions } from './run-controller.js';
export { DEFAULT_INTERRUPT_GRACE_MS, startRun } from './run-controller.js';
export type { Runner, RunnerOptions } from './runner.js';
export {
  AGENT_TOOLS_SERVER,
  createRunner,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
} from './runner.js';
export type { StderrLoggerOptions } from './stderr-logger.js';
export { createStderrLogger, parseLogLevel } from './stderr-logger.js';
export { RUNNER_VERSION } from './version.js';
