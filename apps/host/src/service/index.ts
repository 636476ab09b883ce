export type { InstallResult, ServiceOptions, ServicePlan, UninstallResult } from './install-service.js';
export {
  defaultCliPath,
  findRepoDir,
  installService,
  planService,
  runWithoutServiceManager,
  ServiceError,
  uninstallService,
} from './install-service.js';
export type { ServiceDeps } from './service-command.js';
export { registerServiceCommand } from './service-command.js';
export type { LaunchdSpec, ServiceSpec } from './service-files.js';
export { LAUNCHD_LABEL, renderLaunchdPlist, renderSystemdUnit, SYSTEMD_UNIT_NAME } from './service-files.js';
export type { SystemdProbeDeps, SystemdStatus } from './systemd-probe.js';
export { probeSystemd } from './systemd-probe.js';
