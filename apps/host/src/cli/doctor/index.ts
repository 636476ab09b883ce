export { checkCredentials } from './credential-checks.js';
export type { CheckStatus, DoctorCheck } from './doctor-check.js';
export { blocksStart, formatDoctorReport } from './doctor-check.js';
export { checkHttpPort } from './port-check.js';
export type { DoctorOptions } from './run-doctor.js';
export { runDoctor } from './run-doctor.js';
export type { RuntimeProbe } from './system-checks.js';
export {
  checkApiToken,
  checkDatabase,
  checkMountAllowlist,
  checkNode,
  probeRuntime,
  runtimeCheck,
} from './system-checks.js';
