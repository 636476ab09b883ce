import { describe, expect, it } from 'vitest';
import { describeHeaderSource, EGRESS_PROXY_ENV_KEYS, EGRESS_PROXY_PORT, egressProxyEnv } from './egress.js';

describe('egressProxyEnv', () => {
  it('points every proxy variable at the relay and keeps loopback direct', () => {
    const env = egressProxyEnv();
    expect(Object.keys(env).sort()).toEqual([...EGRESS_PROXY_ENV_KEYS].sort());
    expect(env.HTTPS_PROXY).toBe(`http://127.0.0.1:${EGRESS_PROXY_PORT}`);
    expect(env.http_proxy).toBe('http://127.0.0.1:3128');
    expect(env.no_proxy).toBe('127.0.0.1,localhost,::1');
    expect(egressProxyEnv(4000).HTTP_PROXY).toBe('http://127.0.0.1:4000');
  });
});

describe('describeHeaderSource', () => {
  it('names an env key, a top-level JSON field and a nested one', () => {
    expect(describeHeaderSource({ env: 'OPENAI_API_KEY', prefix: 'Bearer ' })).toBe('env OPENAI_API_KEY');
    expect(describeHeaderSource({ file: '/h/auth.json', jsonKey: 'OPENAI_API_KEY' })).toBe(
      'OPENAI_API_KEY of /h/auth.json',
    );
    expect(describeHeaderSource({ file: '/h/auth.json', jsonKey: ['anthropic', 'key'] })).toBe(
      'anthropic.key of /h/auth.json',
    );
  });
});
