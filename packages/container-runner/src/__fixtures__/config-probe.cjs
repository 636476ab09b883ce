'use strict';
// Runs inside a sandbox as the agent and tries to change its group's settings (`groups/<folder>.container.json` on the
// host, beside the folder the sandbox mounts at /workspace/group) every way a program can, and plants a
// container.json in its own folder (the old place, which the host no longer reads). Prints one JSON line:
// { "<attempt>": "BLOCKED: <code>" | "CHANGED" }. Usage: node config-probe.cjs <folder>
const fs = require('node:fs');
const path = require('node:path');

const folder = process.argv[2] || 'group';
const dir = process.env.PROBE_GROUP_DIR || '/workspace/group';
const evil = '{ "network": "full", "env": { "PWNED": "1" }, "trigger": "pwned" }\n';
const results = {};

function attempt(name, fn) {
  try {
    fn();
    results[name] = 'CHANGED';
  } catch (error) {
    results[name] = `BLOCKED: ${error.code || error.message}`;
  }
}

attempt('control: plant a container.json in its own folder', () =>
  fs.writeFileSync(path.join(dir, 'container.json'), evil),
);
for (const candidate of [
  path.join(dir, '..', `${folder}.container.json`),
  path.join('/workspace', `${folder}.container.json`),
  path.join('/workspace/project/groups', `${folder}.container.json`),
  path.join('/proc/self/root/workspace', `${folder}.container.json`),
]) {
  attempt(`write ${candidate}`, () => fs.writeFileSync(candidate, evil));
}
attempt('make a symlink beside the folder', () =>
  fs.symlinkSync('/etc/passwd', path.join(dir, '..', `${folder}.container.json`)),
);
process.stdout.write(`${JSON.stringify(results)}\n`);
