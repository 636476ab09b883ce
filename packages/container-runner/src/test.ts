/**
 * Helpers for tests that run real sandboxes (bubblewrap, Docker) from another package:
 * `@nanoclaw/container-runner/test`. They assume a checkout of the monorepo (the agent-runner bundle and the
 * scratch-image script live there). A runtime that is missing skips the test with a printed reason on a dev
 * machine and fails it in CI (`CI=true`); see `dockerAvailability` and `bwrapAvailability`.
 */
export type { LogEntry, SandboxAvailability } from './test-utils/sandbox-test-env.js';
export {
  BWRAP_CACHE_DIR,
  buildScratchImage,
  bwrapAvailability,
  captureLogger,
  collect,
  dockerAvailability,
  dockerHostEnv,
  IN_CI,
  makeScratchDir,
  makeWritableDir,
  REPO_ROOT,
  RUNNER_DIST,
  testBwrapRuntime,
  testDockerRuntime,
} from './test-utils/sandbox-test-env.js';
