import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Most tests drive the real opencode binary (`opencode serve`) against a loopback fake model server.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
