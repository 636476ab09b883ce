import { describe, expect, it } from 'vitest';
import { discoverAccounts, envForAccount, missingEnv } from './accounts.js';

const telegram = { requiredEnv: ['TELEGRAM_BOT_TOKEN'] };
const slack = { requiredEnv: ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'] };

describe('accounts from env', () => {
  it('finds default and suffixed accounts, default first', () => {
    const env = { TELEGRAM_BOT_TOKEN: 'a', TELEGRAM_BOT_TOKEN__WORK: 'b', TELEGRAM_BOT_TOKEN__ALPHA_2: 'c' };
    expect(discoverAccounts(telegram, env)).toEqual(['default', 'alpha_2', 'work']);
  });

  it('ignores empty values and malformed suffixes', () => {
    const env = { TELEGRAM_BOT_TOKEN: ' ', TELEGRAM_BOT_TOKEN__work: 'x', TELEGRAM_BOT_TOKEN__: 'y' };
    expect(discoverAccounts(telegram, env)).toEqual([]);
  });

  it('projects KEY__ACCOUNT onto KEY and keeps shared keys', () => {
    const env = {
      TELEGRAM_BOT_TOKEN: 'main',
      TELEGRAM_BOT_TOKEN__WORK: 'work-token',
      TELEGRAM_API_ROOT: 'http://shared',
    };
    expect(envForAccount(telegram, env, 'default')).toMatchObject({ TELEGRAM_BOT_TOKEN: 'main' });
    const work = envForAccount(telegram, env, 'work');
    expect(work.TELEGRAM_BOT_TOKEN).toBe('work-token');
    expect(work.TELEGRAM_API_ROOT).toBe('http://shared');
    expect(
      envForAccount(telegram, { ...env, TELEGRAM_API_ROOT__WORK: 'http://w' }, 'work').TELEGRAM_API_ROOT,
    ).toBe('http://w');
  });

  it('never lends a named account the default credentials', () => {
    const env = { SLACK_BOT_TOKEN: 'xoxb', SLACK_APP_TOKEN: 'xapp', SLACK_BOT_TOKEN__OPS: 'xoxb-ops' };
    expect(discoverAccounts(slack, env)).toEqual(['default', 'ops']);
    const ops = envForAccount(slack, env, 'ops');
    expect(ops.SLACK_APP_TOKEN).toBeUndefined();
    expect(missingEnv(slack, ops, 'ops')).toEqual(['SLACK_APP_TOKEN__OPS']);
    expect(missingEnv(slack, envForAccount(slack, env, 'default'), 'default')).toEqual([]);
  });
});
