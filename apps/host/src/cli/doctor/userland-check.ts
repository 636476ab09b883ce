import type { SandboxImagesStatus } from '@nanoclaw/sandbox-image';
import { type DoctorCheck, fail, info, ok, warn } from './doctor-check.js';
import type { RuntimeProbe } from './system-checks.js';

const NAME = 'agent userland';
/** After this long a userland misses the Debian security updates published since it was built. */
const STALE_DAYS = 30;
const DAY_MS = 24 * 60 * 60_000;

/**
 * Whether agents get a shell: the Debian userland bwrap and docker sandboxes run on, built or buildable here.
 * Without it agents still run, but cannot run a single command, so that is a failure (not one that stops the host).
 */
export function userlandCheck(
  runtime: RuntimeProbe,
  status: SandboxImagesStatus | Error,
  now: number = Date.now(),
): DoctorCheck {
  if (!runtime.ok || (runtime.name !== 'bwrap' && runtime.name !== 'docker')) {
    const name = runtime.ok ? runtime.name : 'no';
    return info(NAME, `not used by the ${name} runtime (only bwrap and docker sandboxes run on it)`);
  }
  if (status instanceof Error) return warn(NAME, `cannot tell: ${status.message}`);
  const { base } = status;
  const what = `Debian ${base.suite}: bash, git, python3, rg, node ${base.node} (${base.packages} packages)`;
  if (base.built) {
    const { manifest, tree } = base.built;
    const detail = `${what}, ${Math.round(manifest.sizeBytes / 1e6)} MB, built ${manifest.builtAt}\nat ${tree}`;
    const days = Math.floor((now - Date.parse(manifest.builtAt)) / DAY_MS);
    if (days > STALE_DAYS) {
      return warn(
        NAME,
        `${detail}\nbuilt ${days} days ago: the Debian security updates published since then are missing`,
        "rebuild it (and the groups' packages) with: nanoclaw sandbox image build --refresh",
      );
    }
    return ok(NAME, detail);
  }
  if (status.builder.ok) {
    return warn(
      NAME,
      `${what}: not built yet; the host builds it at its first start (about a minute, once), with ${status.builder.detail}`,
      'or build it now: nanoclaw sandbox image build',
    );
  }
  return fail(
    NAME,
    `cannot be built here: ${status.builder.reason}\nagents will run with NO shell: they can talk, but not run bash, git or python`,
    status.builder.hint,
    false,
  );
}
