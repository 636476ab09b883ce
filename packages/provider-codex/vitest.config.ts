import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Most tests drive the real codex binary against a loopback fake model server.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
