'use strict';
// Inside a network-less sandbox: calls the model API through the egress relay, then tries to go around it.
const env = process.env;
async function attempt(url, init) {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { error: error.cause?.code || error.message };
  }
}
(async () => {
  const viaProxy = await attempt(`${env.ANTHROPIC_BASE_URL}/v1/messages?stream=1`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': env.ANTHROPIC_API_KEY,
      authorization: 'Bearer sandbox-made-up',
    },
    body: JSON.stringify({ model: 'fake', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const forbiddenPath = await attempt(`${env.ANTHROPIC_BASE_URL}/v1/admin/keys`, { method: 'GET' });
  const direct = await attempt(`http://127.0.0.1:${env.PROBE_UPSTREAM_PORT}/v1/messages`, {
    method: 'POST',
    body: '{}',
  });
  process.stdout.write(
    `${JSON.stringify({ viaProxy, forbiddenPath, direct, apiKey: env.ANTHROPIC_API_KEY })}\n`,
    () => process.exit(0),
  );
})();
