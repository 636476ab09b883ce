import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/host.ts', 'src/internal.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Shared helpers are inlined: the published package depends on @nanoclaw/core alone.
  noExternal: ['@nanoclaw/provider-utils'],
});
