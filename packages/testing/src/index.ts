export { ECHO_MCP_SERVER_SOURCE, readEchoMcpLog, writeEchoMcpServer } from './echo-mcp-server.js';
export { CODEX_COMPACTION_PROMPT_PREFIX, createFakeResponsesServer } from './fake-responses-server.js';
export type {
  FakeResponsesAnswer,
  FakeResponsesRequest,
  FakeResponsesScript,
  FakeResponsesServer,
  FakeResponsesServerOptions,
  FakeResponsesStep,
  FakeUsage,
} from './fake-responses-types.js';
export type {
  ContractModel,
  ContractReply,
  ContractRequest,
  ProviderContractHarness,
  ProviderContractOptions,
} from './provider-contract.js';
export { providerContract } from './provider-contract.js';
export type { ContractAvailability, ContractLimits, RuntimeContractOptions } from './runtime-contract.js';
export { runtimeContract } from './runtime-contract.js';
export { CONTRACT_FIXTURE_DIR, CONTRACT_FIXTURES } from './runtime-contract-fixtures.js';
