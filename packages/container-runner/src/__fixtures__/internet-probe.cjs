'use strict';
// Inside a network-less sandbox: tries the internet the way curl and git do, through HTTP_PROXY (absolute-form
// for http, CONNECT for https), and once directly. Prints one JSON line.
const http = require('node:http');
const net = require('node:net');
const proxy = new URL(process.env.HTTP_PROXY);
const TIMEOUT_MS = 5000;

function viaHttpProxy(target) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: proxy.hostname,
        port: proxy.port,
        method: 'GET',
        path: `http://${target}/probe`,
        headers: { host: target },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      },
    );
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ error: error.code || error.message }));
    req.end();
  });
}

function viaConnect(target) {
  return new Promise((resolve) => {
    const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: target });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('connect', (res, socket, head) => {
      let raw = head.toString('utf8');
      socket.on('data', (c) => (raw += c));
      socket.on('close', () => {
        const body = res.statusCode === 200 ? raw.split('\r\n\r\n').slice(1).join('\r\n\r\n') : raw;
        resolve({ status: res.statusCode, body });
      });
      if (res.statusCode === 200)
        socket.write(`GET /tunnelled HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`);
    });
    req.on('error', (error) => resolve({ error: error.code || error.message }));
    req.end();
  });
}

function direct(target) {
  const [host, port] = target.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    socket.setTimeout(TIMEOUT_MS, () =>
      socket.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
    );
    socket.on('connect', () => {
      socket.destroy();
      resolve({ connected: true });
    });
    socket.on('error', (error) => resolve({ error: error.code || error.message }));
  });
}

(async () => {
  const publicTarget = process.env.PROBE_PUBLIC;
  const refusedTargets = JSON.parse(process.env.PROBE_REFUSED || '[]');
  const result = {
    env: {
      HTTP_PROXY: process.env.HTTP_PROXY,
      HTTPS_PROXY: process.env.HTTPS_PROXY,
      NO_PROXY: process.env.NO_PROXY,
    },
    public: {
      http: await viaHttpProxy(publicTarget),
      connect: await viaConnect(publicTarget),
      direct: await direct(publicTarget),
    },
    refused: {},
  };
  for (const target of refusedTargets) {
    result.refused[target] = { http: await viaHttpProxy(target), connect: await viaConnect(target) };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
})();
