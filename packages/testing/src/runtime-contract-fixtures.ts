/**
 * Tiny node programs the runtime contract runs inside the sandbox (CommonJS, no dependencies). They are
 * written to a host directory that the suite mounts read-only at `CONTRACT_FIXTURE_DIR`.
 */
export const CONTRACT_FIXTURE_DIR = '/contract';

export const CONTRACT_FIXTURES: Readonly<Record<string, string>> = {
  /** Echoes stdin lines as `echo:<line>`; on stdin EOF prints `bye` and exits 0. */
  'echo.cjs': `'use strict';
process.stdout.write('ready\\n');
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let index;
  while ((index = buffer.indexOf('\\n')) !== -1) {
    process.stdout.write('echo:' + buffer.slice(0, index) + '\\n');
    buffer = buffer.slice(index + 1);
  }
});
process.stdin.on('end', () => {
  process.stdout.write('bye\\n');
  process.exitCode = 0;
});
`,
  /** Exits with the code given as argv[2]. */
  'exit.cjs': `'use strict';
process.stdout.write('exiting\\n');
process.exit(Number(process.argv[2] || 0));
`,
  /** Prints what it can see of itself as one JSON line, then waits for stdin EOF. */
  'introspect.cjs': `'use strict';
const fs = require('node:fs');
const report = { env: process.env, uid: process.getuid ? process.getuid() : null, cwd: process.cwd() };
const tryWrite = (file) => { try { fs.writeFileSync(file, 'x'); return 'ok'; } catch (error) { return error.code || String(error); } };
report.writeRw = tryWrite(process.argv[2] + '/contract-write-test');
report.writeRo = tryWrite(process.argv[3] + '/contract-write-test');
process.stdout.write(JSON.stringify(report) + '\\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`,
  /** Runs until killed; prints a tick every 100 ms. */
  'sleep.cjs': `'use strict';
process.stdout.write('sleeping\\n');
setInterval(() => process.stdout.write('tick\\n'), 100);
`,
};
