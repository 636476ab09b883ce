import { describe, expect, it } from 'vitest';
import { PROXY_ENV_KEYS, pickEnv } from './host-env.js';

describe('pickEnv', () => {
  it('takes only the named keys that are set, so nothing else of the host env reaches a build', () => {
    const env = { https_proxy: 'http://proxy:3128', HTTP_PROXY: '', SECRET_TOKEN: 'x', PATH: '/bin' };
    expect(pickEnv(env, PROXY_ENV_KEYS)).toEqual({ https_proxy: 'http://proxy:3128' });
    expect(pickEnv(env, ['PATH', 'HOME'])).toEqual({ PATH: '/bin' });
  });
});
