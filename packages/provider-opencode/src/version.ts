/** The opencode-ai version this provider is built and tested against (the `opencode-ai` dependency is pinned to it). */
export const OPENCODE_VERSION = '1.18.33';
