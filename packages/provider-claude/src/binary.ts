import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The pinned `@anthropic-ai/claude-agent-sdk` version (its platform package ships Claude Code 2.1.330). */
export const CLAUDE_AGENT_SDK_VERSION = '0.3.330';

/** Env key that points the provider at another Claude Code binary. */
export const CLAUDE_BIN_ENV = 'CLAUDE_CODE_BIN';

/** The SDK's platform packages, in the order the SDK itself tries them. */
function platformPackages(platform: string, arch: string): string[] {
  const base = `@anthropic-ai/claude-agent-sdk-${platform}-${arch}`;
  return platform === 'linux' ? [base, `${base}-musl`] : [base];
}

/**
 * The native `claude` binary: `CLAUDE_CODE_BIN` when set, else the one in the SDK's installed optional platform
 * package (`@anthropic-ai/claude-agent-sdk-<platform>-<arch>/claude`). Undefined when neither exists; the SDK
 * then looks for it itself (and fails with its own message).
 */
export function resolveClaudeBinary(
  options: { env?: Readonly<Record<string, string | undefined>>; platform?: string; arch?: string } = {},
): string | undefined {
  const override = options.env?.[CLAUDE_BIN_ENV]?.trim();
  if (override) return override;
  const require = createRequire(import.meta.url);
  let sdkEntry: string;
  try {
    sdkEntry = require.resolve('@anthropic-ai/claude-agent-sdk');
  } catch {
    return undefined;
  }
  const fromSdk = createRequire(sdkEntry);
  const binaryName = (options.platform ?? process.platform) === 'win32' ? 'claude.exe' : 'claude';
  for (const pkg of platformPackages(options.platform ?? process.platform, options.arch ?? process.arch)) {
    try {
      const manifest = fromSdk.resolve(`${pkg}/package.json`);
      const binary = manifest.replace(/package\.json$/, binaryName);
      if (existsSync(binary)) return binary;
    } catch {
      // not installed for this platform
    }
  }
  return undefined;
}
