/**
 * `pnpm check:promises [--report]`: lists every floating promise in the shipped sources of packages/* and
 * apps/* (see floating-promises.ts for the rule), one line each, `file:line statement`, then the count per
 * package. Fails when there is any, or when scripts/never-reject.allow.json (`{ "path#Name.member": "reason" }`,
 * functions tested never to reject) has an entry without a reason or one no `void` site uses.
 * `--report` prints the same and always exits 0. Type-checks the sources (no build needed): about a minute.
 */
import { entriesWithoutReason } from './allowlist.js';
import { checkCli, finish } from './check-cli.js';
import {
  createWorkspaceProgram,
  findFloatingPromises,
  formatFloatingPromise,
  packageOf,
} from './floating-promises.js';
import { listShippedSources } from './shipped-sources.js';

const cli = checkCli('never-reject.allow.json');
const files = listShippedSources(cli.rootDir).map((s) => s.file);
const program = createWorkspaceProgram(cli.rootDir, files);
const { sites, allowUsed } = findFloatingPromises(program, files, cli.rootDir, cli.allow);

for (const site of sites) console.log(formatFloatingPromise(site));
const perPackage = new Map<string, number>();
for (const site of sites) perPackage.set(packageOf(site.rel), (perPackage.get(packageOf(site.rel)) ?? 0) + 1);
if (sites.length > 0) console.log(`\n${[...perPackage].map(([pkg, n]) => `${pkg}: ${n}`).join('\n')}`);

const problems = [
  ...entriesWithoutReason(cli.allow),
  ...Object.keys(cli.allow)
    .filter((key) => !allowUsed.has(key))
    .map((key) => `${key}: in the never-reject allowlist but no \`void\` site calls it; remove it`),
];
if (sites.length > 0) {
  problems.push(
    `${sites.length} floating promise(s): await or return it, or handle it (.catch that logs and decides); \`void f()\` only for f in ${cli.allowPath}`,
  );
}
finish(
  cli,
  problems,
  `check:promises: ${sites.length} floating promise(s) in ${files.length} file(s); ${allowUsed.size} never-reject function(s) used`,
);
