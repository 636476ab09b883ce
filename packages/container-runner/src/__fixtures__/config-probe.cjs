'use strict';
// Runs inside a sandbox as the agent and tries to change the group's container.json every way a program can.
// Prints one JSON line: { "<attempt>": "BLOCKED: <code>" | "CHANGED" }. A sibling file is written first as a
// control: the group folder itself must stay writable.
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.PROBE_GROUP_DIR || '/workspace/group';
const file = path.join(dir, 'container.json');
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
const scratch = (name) => path.join(dir, `.probe-${name}`);

attempt('control: write a sibling file in the group folder', () => {
  fs.writeFileSync(scratch('control'), 'ok');
  fs.rmSync(scratch('control'));
});
attempt('write it in place', () => fs.writeFileSync(file, evil));
attempt('append to it', () => fs.appendFileSync(file, evil));
attempt('truncate it', () => fs.truncateSync(file, 0));
attempt('chmod it', () => fs.chmodSync(file, 0o666));
attempt('touch its times', () => fs.utimesSync(file, new Date(0), new Date(0)));
attempt('create it exclusively', () => fs.writeFileSync(file, evil, { flag: 'wx' }));
attempt('delete it', () => fs.unlinkSync(file));
attempt('rename it away', () => fs.renameSync(file, scratch('moved')));
attempt('rename another file over it', () => {
  fs.writeFileSync(scratch('new'), evil);
  try {
    fs.renameSync(scratch('new'), file);
  } finally {
    fs.rmSync(scratch('new'), { force: true });
  }
});
attempt('replace it with a symlink', () => {
  fs.rmSync(file);
  fs.symlinkSync('/etc/passwd', file);
});
attempt('symlink over it (rename)', () => {
  fs.symlinkSync(scratch('target'), scratch('link'));
  try {
    fs.renameSync(scratch('link'), file);
  } finally {
    fs.rmSync(scratch('link'), { force: true });
  }
});
attempt('hard link it and write through the link', () => {
  fs.linkSync(file, scratch('hardlink'));
  try {
    fs.writeFileSync(scratch('hardlink'), evil);
  } finally {
    fs.rmSync(scratch('hardlink'), { force: true });
  }
});
attempt('replace it with a directory', () => {
  fs.rmSync(file);
  fs.mkdirSync(file);
});
process.stdout.write(`${JSON.stringify(results)}\n`);
