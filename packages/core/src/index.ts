export { type AsyncQueue, createAsyncQueue } from './async-queue.js';
export { type BackoffPolicy, backoffDelay } from './backoff.js';
export type {
  ChannelAdapter,
  ChannelErrorInfo,
  ChannelFactory,
  ChannelHost,
  ChannelLimits,
  SendResult,
} from './channel.js';
export { CHANNEL_ADAPTER_SPEC_VERSION } from './channel.js';
export type {
  AdditionalMount,
  ContainerConfig,
  ContainerConfigInput,
  FollowUpMode,
  GroupPackages,
  McpServerConfig,
  NetworkMode,
  ResourceLimits,
  Timeouts,
} from './container-config.js';
export {
  additionalMountSchema,
  aptPackageNameSchema,
  CONTAINER_CONFIG_SPEC_VERSION,
  containerConfigSchema,
  followUpModeSchema,
  mcpServerConfigSchema,
  networkModeSchema,
  npmPackageSpecSchema,
  packagesSchema,
  reasoningEffortSchema,
  resourceLimitsSchema,
  timeoutsSchema,
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
export type { AgentGroup, ChatBinding, Session, UsageRecord } from './groups.js';
export { agentGroupSchema, chatBindingSchema, GROUPS_SPEC_VERSION, sessionSchema } from './groups.js';
export type { LogFn, Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type {
  Attachment,
  InboundMessage,
  InboundMessageInput,
  InboundStatus,
  OutboundMessage,
  OutboundStatus,
  Sender,
} from './messages.js';
export {
  attachmentSchema,
  INBOUND_MAX_TEXT_LENGTH,
  inboundMessageSchema,
  MESSAGES_SPEC_VERSION,
  OUTBOUND_MAX_TEXT_LENGTH,
  outboundMessageSchema,
  senderSchema,
} from './messages.js';
export type { KnownProviderId } from './names.js';
export {
  envKeySchema,
  GROUP_FOLDER_PATTERN,
  groupFolderSchema,
  KNOWN_PROVIDERS,
  providerIdSchema,
  RESERVED_GROUP_FOLDERS,
  timezoneSchema,
} from './names.js';
export type { GroupLeader } from './process-group.js';
export { signalProcessGroup } from './process-group.js';
export type {
  AgentEvent,
  AgentEventType,
  AgentProvider,
  AgentSession,
  ProviderErrorCode,
  ProviderHostContribution,
  SessionOptions,
  TurnInput,
  TurnStatus,
} from './provider.js';
export {
  AGENT_PROVIDER_SPEC_VERSION,
  agentEventSchema,
  providerErrorCodeSchema,
  turnInputSchema,
  turnStatusSchema,
} from './provider.js';
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
