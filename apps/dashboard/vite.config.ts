/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { sizeBudget } from './build/size-budget.js';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
  plugins: [sizeBudget()],
  server: {
    // `pnpm dev`: the host (or src/dev/fake-host.ts) on its usual port answers /api and /auth.
    proxy: { '/api': 'http://127.0.0.1:7420', '/auth': 'http://127.0.0.1:7420' },
  },
  test: {
    environment: 'happy-dom',
    // CI runs every package's tests at once on two cores: page tests wait on renders (see waitFor).
    testTimeout: 30_000,
    include: ['src/**/*.test.{ts,tsx}', 'build/**/*.test.ts'],
  },
});
