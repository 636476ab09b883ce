import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Most of this suite waits on sandboxes, agent runtimes and their fake models rather than on the CPU: two test
    // files at a time (vitest's default here is one per core minus one, i.e. one) halve its wall time in CI.
    maxWorkers: 2,
  },
});
