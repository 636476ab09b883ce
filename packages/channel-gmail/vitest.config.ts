import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The adapter runs against its loopback fake over real sockets; a CI machine running every package's tests
    // at once can stretch a connect well past vitest's 5 s default.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
