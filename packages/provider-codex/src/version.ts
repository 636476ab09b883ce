import { createRequire } from 'node:module';

/**
 * The one place the Codex version is named. `package.json` pins `@openai/codex` to exactly this version, the
 * protocol types in `src/generated` come from this binary, and a session warns when the binary it runs reports
 * another version. Bump all three together, on purpose.
 */
export const CODEX_VERSION = '0.169.0';

/** This package's own version (`clientInfo.version` in `initialize`); read from package.json (src/ and dist/ alike). */
export const PACKAGE_VERSION: string = (() => {
  try {
    const manifest = createRequire(import.meta.url)('../package.json') as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
