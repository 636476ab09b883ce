'use strict';
// Runs inside a sandbox and tries to get out. Prints one JSON line: { "<attempt>": "BLOCKED: ..." | "LEAK: ..." }.
// The host test passes what an attacker would know about the host through env (paths, a port, a secret's name).
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const results = {};
const env = process.env;
// Built here, not passed in: the probe's own env must not contain the marker it looks for.
const marker = ['NANOCLAW_ESCAPE', 'HOST_SECRET='].join('_');

function attempt(name, fn) {
  try {
    const leak = fn();
    results[name] = leak ? `LEAK: ${String(leak).slice(0, 200)}` : 'BLOCKED: nothing to see';
  } catch (error) {
    results[name] = `BLOCKED: ${error.code || error.message}`;
  }
}
const read = (file) => fs.readFileSync(file, 'utf8');

async function connect(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1500 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(`LEAK: connected to ${host}:${port}`);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('BLOCKED: timeout');
    });
    socket.once('error', (error) => resolve(`BLOCKED: ${error.code}`));
  });
}

async function main() {
  if (env.PROBE_MODE === 'plant') {
    // Run 1 of the swap attack: replace a folder the host might bind next time with a symlink to host secrets,
    // and leave a link for host code that reads group files.
    fs.rmSync('/workspace/group/sub', { recursive: true, force: true });
    fs.symlinkSync(env.PROBE_SECRET_DIR, '/workspace/group/sub');
    fs.symlinkSync(env.PROBE_SECRET_FILE, '/workspace/group/evil-link');
    process.stdout.write(`${JSON.stringify({ planted: true })}\n`);
    return;
  }
  if (env.PROBE_MODE === 'read-sub') {
    attempt('read the swapped bind source', () => read('/workspace/sub/secret.txt'));
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return;
  }
  attempt('read /etc/shadow', () => read('/etc/shadow'));
  attempt('list /root', () => fs.readdirSync('/root').join(','));
  attempt('read host secret by absolute path', () => read(env.PROBE_SECRET_FILE));
  attempt('list host secret dir by absolute path', () => fs.readdirSync(env.PROBE_SECRET_DIR).join(','));
  attempt('follow group symlink -> /etc/shadow', () => read('/workspace/group/link-shadow'));
  attempt('follow group symlink -> host secret file', () => read('/workspace/group/link-secret'));
  attempt('follow group symlink -> /root', () => fs.readdirSync('/workspace/group/link-root').join(','));
  attempt('follow relative group symlink -> ../../host secret', () => read('/workspace/group/link-relative'));
  attempt('write /workspace/global', () => {
    fs.writeFileSync('/workspace/global/pwned', 'x');
    fs.rmSync('/workspace/global/pwned');
    return 'wrote /workspace/global/pwned';
  });
  attempt('write /workspace/project', () => {
    fs.writeFileSync('/workspace/project/pwned', 'x');
    fs.rmSync('/workspace/project/pwned');
    return 'wrote /workspace/project/pwned';
  });
  attempt('write the sandbox root', () => {
    fs.writeFileSync('/pwned', 'x');
    fs.rmSync('/pwned');
    return 'wrote /pwned';
  });
  attempt('write /usr', () => {
    fs.writeFileSync('/usr/bin/pwned', 'x');
    fs.rmSync('/usr/bin/pwned');
    return 'wrote /usr/bin/pwned';
  });
  attempt('read the project .env', () => read('/workspace/project/.env'));
  attempt('read other sessions through /workspace/project/data', () => {
    const found = [];
    const walk = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else found.push(full);
      }
    };
    walk('/workspace/project/data');
    return found.join(',');
  });
  attempt('host secret in /proc/1/environ', () => {
    const text = read('/proc/1/environ');
    return text.includes(marker) ? text : '';
  });
  attempt('host secret in any /proc/*/environ', () => {
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const text = read(`/proc/${pid}/environ`);
        if (text.includes(marker)) return `pid ${pid}`;
      } catch {}
    }
    return '';
  });
  attempt('host paths in /proc/1/cmdline', () => {
    const text = read('/proc/1/cmdline');
    return env.PROBE_HOST_ROOT && text.includes(env.PROBE_HOST_ROOT) ? text.replaceAll('\0', ' ') : '';
  });
  attempt('see host processes', () => {
    const pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
    const seen = [];
    for (const pid of pids) {
      try {
        const cmd = read(`/proc/${pid}/cmdline`).replaceAll('\0', ' ');
        if (/vitest|dockerd|containerd|systemd|sshd|tsx/.test(cmd)) seen.push(`${pid}:${cmd.slice(0, 60)}`);
      } catch {}
    }
    return pids.length > 20 ? `${pids.length} pids visible` : seen.join(';');
  });
  results['reach host loopback TCP port'] = await connect('127.0.0.1', Number(env.PROBE_HOST_PORT));
  // Skipped in the unisolated control run: tests never send packets off the machine.
  if (env.PROBE_SKIP_OUTSIDE !== '1') results['reach an outside address'] = await connect('1.1.1.1', 80);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stdout.write(`${JSON.stringify({ crashed: String(error) })}\n`);
    process.exit(1);
  },
);
