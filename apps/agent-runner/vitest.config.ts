import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Builds dist/ once: the end-to-end tests drive the bundled runner as a child process.
    globalSetup: ['./vitest.global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
