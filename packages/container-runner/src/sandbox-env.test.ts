import { describe, expect, it } from 'vitest';
import { buildSandboxEnv } from './sandbox-env.js';

describe('buildSandboxEnv', () => {
  const hostEnv = {
    OPENAI_API_KEY: 'sk-1',
    AWS_SECRET_ACCESS_KEY: 'nope',
    PATH: '/host/bin',
    HOME: '/root',
    EMPTY: '',
  };

  it('holds only the essentials, the allowlisted host keys and the literal config env', () => {
    const env = buildSandboxEnv({
      hostEnv,
      envAllowlist: ['OPENAI_API_KEY', 'EMPTY', 'UNSET'],
      configEnv: { GREETING: 'hi' },
      timezone: 'Europe/Berlin',
    });
    expect(env).toEqual({
      HOME: '/home/agent',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
      TZ: 'Europe/Berlin',
      OPENAI_API_KEY: 'sk-1',
      GREETING: 'hi',
    });
  });

  it('lets the group override PATH/LANG and allowlisted values, runner env last, never HOME', () => {
    const env = buildSandboxEnv({
      hostEnv,
      envAllowlist: ['OPENAI_API_KEY'],
      configEnv: { OPENAI_API_KEY: 'from-config', PATH: '/opt/bin' },
      runnerEnv: { NANOCLAW_LOG_LEVEL: 'debug', HOME: '/ignored' },
    });
    expect(env.OPENAI_API_KEY).toBe('from-config');
    expect(env.PATH).toBe('/opt/bin');
    expect(env.NANOCLAW_LOG_LEVEL).toBe('debug');
    expect(env.HOME).toBe('/home/agent');
    expect(() => buildSandboxEnv({ hostEnv, envAllowlist: [], configEnv: { HOME: '/x' } })).toThrow(/HOME/);
  });

  it('refuses invalid names and NUL bytes', () => {
    expect(() => buildSandboxEnv({ hostEnv, envAllowlist: ['BAD-NAME'] })).toThrow(/not a valid env name/);
    expect(() => buildSandboxEnv({ hostEnv, envAllowlist: [], configEnv: { A: 'x\u0000y' } })).toThrow(/NUL/);
  });
});
