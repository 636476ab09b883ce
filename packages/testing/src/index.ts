export type { ContractAvailability, ContractLimits, RuntimeContractOptions } from './runtime-contract.js';
export { runtimeContract } from './runtime-contract.js';
export { CONTRACT_FIXTURE_DIR, CONTRACT_FIXTURES } from './runtime-contract-fixtures.js';
