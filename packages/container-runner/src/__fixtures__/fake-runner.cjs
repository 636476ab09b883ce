'use strict';
// A stand-in for apps/agent-runner: speaks the host protocol (JSON-RPC 2.0, Content-Length framing) on stdio
// with no dependencies, so it runs in any sandbox. Behaviour is driven by the turn text:
//   "action"  → asks the host agent/action send_message and echoes the result
//   "slow"    → waits for run/interrupt (or run/push, which is answered as a next turn)
//   "crash"   → exits with code 3 in the middle of the run
//   "hang"    → stops heartbeats and never ends the run
// FAKE_RUNNER_MODE=no-ready never sends runner/ready; FAKE_RUNNER_HEARTBEAT_MS sets the initial heartbeat.

let heartbeatMs = Number(process.env.FAKE_RUNNER_HEARTBEAT_MS || 100);
let heartbeat;
let nextId = 1;
const pendingRequests = new Map();
let run;

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}
const notify = (method, params) => send({ method, params });
const request = (method, params) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    pendingRequests.set(id, { resolve, reject });
    send({ id, method, params });
  });
function startHeartbeat() {
  clearInterval(heartbeat);
  heartbeat = setInterval(
    () => notify('runner/heartbeat', { at: Date.now(), busy: run !== undefined }),
    heartbeatMs,
  );
}
const event = (runId, e) => notify('run/event', { runId, event: e });

async function playTurn(runId, input, index) {
  const turnId = `${runId}-t${index}`;
  event(runId, { type: 'turn-start', turnId, input });
  let text = `you said: ${input.text}`;
  event(runId, { type: 'text-delta', turnId, delta: text });
  if (input.text.includes('action')) {
    const result = await request('agent/action', { tool: 'send_message', text: 'hi from the agent' });
    const delta = ` | action: ${JSON.stringify(result)}`;
    text += delta;
    event(runId, { type: 'text-delta', turnId, delta });
  }
  if (input.text.includes('crash')) process.exit(3);
  if (input.text.includes('hang')) {
    clearInterval(heartbeat);
    return new Promise(() => {});
  }
  if (input.text.includes('slow')) {
    const status = await new Promise((resolve) => {
      run.interrupt = (status = 'interrupted') => resolve(status);
    });
    event(runId, { type: 'turn-end', turnId, status, text });
    return;
  }
  event(runId, { type: 'usage', turnId, inputTokens: 10, cachedInputTokens: 0, outputTokens: 5 });
  event(runId, { type: 'turn-end', turnId, status: 'completed', text });
}

async function playRun(runId, input) {
  run = { runId, queue: [], interrupt: undefined };
  let index = 0;
  await playTurn(runId, input, index++);
  while (run.queue.length > 0) await playTurn(runId, run.queue.shift(), index++);
  run = undefined;
  notify('run/end', { runId, continuation: `cont-after-${runId}` });
}

const handlers = {
  'session/start': async (params) => {
    if (params.heartbeatMs) {
      heartbeatMs = params.heartbeatMs;
      startHeartbeat();
    }
    // A runtime that is slow to start (OpenCode's server).
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.FAKE_RUNNER_START_DELAY_MS || 0)));
    return { continuation: 'cont-1', resumed: params.continuation !== undefined };
  },
  'run/start': (params) => {
    if (run) throw Object.assign(new Error('run active'), { code: -32004 });
    void playRun(params.runId, params.input);
    return { runId: params.runId };
  },
  'run/push': (params) => {
    if (!run || run.runId !== params.runId) return { accepted: false };
    run.queue.push(params.input);
    if (run.interrupt) {
      const finish = run.interrupt;
      run.interrupt = undefined;
      finish('completed');
    }
    return { accepted: true };
  },
  'run/interrupt': () => {
    if (run?.interrupt) {
      const finish = run.interrupt;
      run.interrupt = undefined;
      finish('interrupted');
    }
    return {};
  },
  'session/compact': () => ({}),
  'session/close': () => {
    setTimeout(() => process.exit(0), 10);
    return {};
  },
};

async function dispatch(message) {
  if (message.method && message.id !== undefined) {
    const handler = handlers[message.method];
    if (!handler)
      return send({ id: message.id, error: { code: -32601, message: `unknown method ${message.method}` } });
    try {
      send({ id: message.id, result: await handler(message.params || {}) });
    } catch (error) {
      send({ id: message.id, error: { code: error.code || -32000, message: error.message } });
    }
  } else if (message.id !== undefined) {
    const pending = pendingRequests.get(message.id);
    pendingRequests.delete(message.id);
    if (pending)
      message.error ? pending.reject(new Error(message.error.message)) : pending.resolve(message.result);
  }
}

let buffer = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const headerEnd = buffer.indexOf('\r\n\r\n');
    if (headerEnd === -1) return;
    const match = /Content-Length: (\d+)/i.exec(buffer.subarray(0, headerEnd).toString('ascii'));
    const length = Number(match ? match[1] : 0);
    if (buffer.length < headerEnd + 4 + length) return;
    const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
    buffer = buffer.subarray(headerEnd + 4 + length);
    void dispatch(JSON.parse(body));
  }
});
process.stdin.on('end', () => process.exit(0));

process.stderr.write(
  `${JSON.stringify({ level: 'info', time: Date.now(), msg: 'fake runner up', pid: process.pid })}\n`,
);
process.stderr.write('plain stderr line\n');
if (process.env.FAKE_RUNNER_MODE !== 'no-ready') {
  notify('runner/ready', { protocolVersion: 1, runnerVersion: 'fake-1', pid: process.pid });
  startHeartbeat();
}
