/**
 * `@nanoclaw/testing`: the contract suites (channel, provider, runtime) every implementation runs, fake model
 * servers (Anthropic, OpenAI Responses, Chat Completions) with their script types, and small test helpers.
 */
export type {
  ChannelContractCardDriver,
  ChannelContractCase,
  ChannelContractDirectChatDriver,
  ChannelContractDriver,
  ChannelContractHarness,
  ChannelContractOptions,
  ChannelFactoryContractOptions,
  ContractFile,
  ContractHost,
  ContractInboundInput,
  ContractInjected,
  ContractSentCard,
  ContractSentText,
  ContractTap,
  ContractTapInput,
  ContractTyping,
  ContractUpload,
} from './channel-contract.js';
export {
  channelContract,
  channelFactoryContract,
  createContractHost,
  rememberingCardDriver,
  silentLogger,
} from './channel-contract.js';
export { writeEchoMcpServer } from './echo-mcp-server.js';
export { createFakeAnthropicServer } from './fake-anthropic-server.js';
export type {
  FakeAnthropicAnswer,
  FakeAnthropicRequest,
  FakeAnthropicRequestKind,
  FakeAnthropicScript,
  FakeAnthropicServer,
  FakeAnthropicServerOptions,
  FakeAnthropicStep,
  FakeAnthropicToolFollowUp,
  FakeAnthropicUsage,
} from './fake-anthropic-types.js';
export { createFakeChatCompletionsServer } from './fake-chat-completions-server.js';
export type {
  FakeChatAnswer,
  FakeChatCompletionsServer,
  FakeChatCompletionsServerOptions,
  FakeChatRequest,
  FakeChatScript,
  FakeChatStep,
  FakeChatUsage,
} from './fake-chat-completions-types.js';
export type { FakeImage } from './fake-images.js';
export { imagesOf } from './fake-images.js';
export { createFakeResponsesServer } from './fake-responses-server.js';
export type {
  FakeResponsesAnswer,
  FakeResponsesRequest,
  FakeResponsesScript,
  FakeResponsesServer,
  FakeResponsesServerOptions,
  FakeResponsesStep,
  FakeResponsesToolFollowUp,
  FakeResponsesToolResult,
  FakeUsage,
} from './fake-responses-types.js';
export type { FakeToolResult } from './fake-tool-results.js';
export type {
  FakeTranscriptionRequest,
  FakeTranscriptionServer,
  FakeTranscriptionServerOptions,
  FakeTranscriptionUpload,
} from './fake-transcription-server.js';
export { createFakeTranscriptionServer } from './fake-transcription-server.js';
export type { FakeModelContractOptions, FakeModelWorld } from './fake-world-contract.js';
export { fakeModelProviderContract } from './fake-world-contract.js';
export type {
  ContractModel,
  ContractReply,
  ContractRequest,
  ProviderContractHarness,
  ProviderContractOptions,
} from './provider-contract.js';
export { providerContract } from './provider-contract.js';
export { CONTRACT_PNG } from './provider-contract-attachments.js';
export type { ProviderTestWorld } from './provider-test-world.js';
export { echoServerEntry, providerTestWorld } from './provider-test-world.js';
export type { ContractAvailability, ContractLimits, RuntimeContractOptions } from './runtime-contract.js';
export { runtimeContract } from './runtime-contract.js';
export type { OpenedInTest } from './session-cleanup.js';
export { closeSessionsAfterEach } from './session-cleanup.js';
export type { HoldGate, LogLine, MemoryLoggerOptions, TempDirs } from './test-helpers.js';
export {
  collect,
  createHoldGate,
  createTempDirs,
  descendants,
  isAlive,
  memoryLogger,
  ofType,
  processEnv,
  turnEnds,
  types,
  waitFor,
} from './test-helpers.js';
