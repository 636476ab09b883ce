import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Most tests drive the real Claude Code binary against a loopback fake Anthropic server.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
