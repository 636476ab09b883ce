/**
 * `@nanoclaw/provider-codex/internal`: the pieces behind the provider (the pinned binary, `config.toml` and
 * `CODEX_HOME`, app-server's newline-delimited framing), for tools and tests. Not a stable API: names here may
 * change in any release.
 */
export { answerServerRequest } from './app-server.js';
export { checkCodexVersion, readCodexVersion, resolveCodexBinary } from './binary.js';
export type { CodexAuthMode, CodexConfigInput, CodexEndpointTuning } from './config.js';
export {
  buildCodexConfig,
  CODEX_ENV_KEYS,
  CUSTOM_PROVIDER_ID,
  DEFAULT_COMPACT_THRESHOLD_TOKENS,
  renderCodexConfig,
  resolveAuthMode,
  writeCodexHome,
} from './config.js';
export { SESSION_INVALID_PATTERN } from './errors.js';
export { NdjsonMessageReader, NdjsonMessageWriter } from './ndjson.js';
