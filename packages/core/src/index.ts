/**
 * `@nanoclaw/core`: the NanoClaw specification (the versioned interfaces every provider, channel, runtime and
 * store implements, with the zod schemas of what crosses a boundary) and the little runtime code every package
 * shares: the base error, `errorMessage`, the logger interface, egress and process-group helpers.
 */
export { type AsyncQueue, createAsyncQueue } from './async-queue.js';
export { type BackoffPolicy, backoffDelay } from './backoff.js';
export type {
  CardAction,
  CardActionResult,
  ChannelAdapter,
  ChannelErrorInfo,
  ChannelFactory,
  ChannelHost,
  ChannelLimits,
  DownloadAttachmentOptions,
  OutboundCard,
  SendResult,
} from './channel.js';
export { CHANNEL_ADAPTER_SPEC_VERSION } from './channel.js';
export type {
  AdditionalMount,
  ContainerConfig,
  ContainerConfigInput,
  FollowUpMode,
  GroupPackages,
  GroupSkills,
  McpServerConfig,
  NetworkMode,
  ResourceLimits,
} from './container-config.js';
export {
  aptPackageNameSchema,
  CONTAINER_CONFIG_SPEC_VERSION,
  containerConfigSchema,
  groupSkillsSchema,
  npmPackageSpecSchema,
  skillNameSchema,
} from './container-config.js';
export type {
  ContainerRuntime,
  RuntimeAvailability,
  RuntimeName,
  SandboxExit,
  SandboxInfo,
  SandboxMount,
  SandboxProcess,
  SandboxSpec,
} from './container-runtime.js';
export { CONTAINER_RUNTIME_SPEC_VERSION } from './container-runtime.js';
export type {
  EgressHeaderSource,
  ProviderEgress,
  ProviderEgressCheck,
  ProviderEgressException,
  ProviderEgressRoute,
} from './egress.js';
export {
  describeHeaderSource,
  EGRESS_PROXY_ENV_KEYS,
  EGRESS_PROXY_PORT,
  egressProxyEnv,
} from './egress.js';
export type { NanoclawErrorOptions } from './errors.js';
export { errorMessage, NanoclawError } from './errors.js';
export type { AgentGroup, ChatBinding, Session } from './groups.js';
export { chatBindingSchema, GROUPS_SPEC_VERSION } from './groups.js';
export type { LogFn, Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type {
  Attachment,
  CardOption,
  InboundMessage,
  InboundMessageInput,
  InboundStatus,
  OutboundMessage,
  OutboundStatus,
  Sender,
} from './messages.js';
export {
  CARD_DATA_MAX_BYTES,
  cardOptionSchema,
  INBOUND_MAX_TEXT_LENGTH,
  inboundMessageSchema,
  MESSAGES_SPEC_VERSION,
  OUTBOUND_MAX_TEXT_LENGTH,
  outboundMessageSchema,
} from './messages.js';
export {
  GROUP_FOLDER_PATTERN,
  groupFolderSchema,
  providerIdSchema,
  RESERVED_GROUP_FOLDERS,
  timezoneSchema,
} from './names.js';
export type { GroupLeader } from './process-group.js';
export { signalProcessGroup } from './process-group.js';
export type {
  AgentContextPlaces,
  AgentEvent,
  AgentProvider,
  AgentSession,
  ProviderErrorCode,
  ProviderHostContribution,
  SessionOptions,
  TurnInput,
  TurnStatus,
} from './provider.js';
export { AGENT_PROVIDER_SPEC_VERSION, agentEventSchema, providerErrorCodeSchema } from './provider.js';
export type { NewQueueItem, QueueItem, QueueItemStatus, QueueStore, WorkPriority } from './queue.js';
export { QUEUE_STORE_SPEC_VERSION } from './queue.js';
export type {
  AgentAction,
  AgentActionResult,
  AgentToolName,
  RunEndParams,
  RunEventParams,
  RunStartParams,
  SessionStartParams,
  SessionStartResult,
} from './runner-protocol.js';
export {
  AGENT_TOOLS_SERVER_NAME,
  agentActionResultSchema,
  agentActionSchema,
  HostToRunner,
  heartbeatParamsSchema,
  RUNNER_PROTOCOL_VERSION,
  RunnerErrorCode,
  RunnerToHost,
  readyParamsSchema,
  runEndParamsSchema,
  runEventParamsSchema,
  runInterruptParamsSchema,
  runPushParamsSchema,
  runPushResultSchema,
  runStartParamsSchema,
  sessionStartParamsSchema,
  sessionStartResultSchema,
} from './runner-protocol.js';
export type {
  ContextMode,
  MisfirePolicy,
  NewTask,
  Schedule,
  ScheduledTask,
  TaskPatch,
  TaskRunLog,
  TaskRunStatus,
  TaskStatus,
  TaskStore,
} from './scheduler.js';
export {
  contextModeSchema,
  misfirePolicySchema,
  newTaskSchema,
  scheduleSchema,
  TASK_STORE_SPEC_VERSION,
} from './scheduler.js';
