import type { Options } from 'tsup';

/**
 * What every workspace package builds: ESM only, with declarations and source maps, for Node 20. A package's
 * `tsup.config.ts` spreads this and names its entries (`scripts/package-shape.ts` reads the spread).
 */
export const packageBuild: Options = {
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
};

/**
 * A provider package: shared helpers are inlined, so the published package depends on `@nanoclaw/core` alone.
 */
export const providerBuild: Options = {
  ...packageBuild,
  noExternal: ['@nanoclaw/provider-utils'],
};
