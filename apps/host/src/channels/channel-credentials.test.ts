import { describe, expect, it } from 'vitest';
import { BUILT_IN_CHANNELS } from './built-in-channels.js';
import { createChannelCredentialCheck, missingCredentialsWarning } from './channel-credentials.js';

describe('createChannelCredentialCheck', () => {
  it('finds what an account of a built-in channel needs in the env', () => {
    const check = createChannelCredentialCheck(BUILT_IN_CHANNELS, {
      TELEGRAM_BOT_TOKEN: '123:abc',
      SLACK_BOT_TOKEN__WORK: 'xoxb',
    });
    expect(check({ channel: 'telegram', accountId: 'default' })).toEqual({ kind: 'configured' });
    expect(check({ channel: 'telegram', accountId: 'work' })).toEqual({
      kind: 'missing',
      keys: ['TELEGRAM_BOT_TOKEN__WORK'],
    });
    expect(check({ channel: 'slack', accountId: 'work' })).toEqual({
      kind: 'missing',
      keys: ['SLACK_APP_TOKEN__WORK'],
    });
    expect(check({ channel: 'local', accountId: 'default' })).toEqual({ kind: 'configured' });
    expect(check({ channel: 'irc', accountId: 'default' })).toEqual({
      kind: 'unknown',
      known: ['local', 'telegram', 'slack', 'discord', 'whatsapp', 'gmail'],
    });
  });

  it('knows the channels a host was given instead of the built-in ones', () => {
    const check = createChannelCredentialCheck([{ channel: 'memchat', requiredEnv: ['MEMCHAT_TOKEN'] }], {});
    expect(check({ channel: 'memchat', accountId: 'default' })).toEqual({
      kind: 'missing',
      keys: ['MEMCHAT_TOKEN'],
    });
    expect(check({ channel: 'telegram', accountId: 'default' }).kind).toBe('unknown');
  });

  it('words the warning as what to set, and that the binding is kept', () => {
    expect(
      missingCredentialsWarning(
        { channel: 'whatsapp', accountId: 'default', chatId: '4155550100@s.whatsapp.net' },
        ['WHATSAPP_ENABLED'],
      ),
    ).toBe(
      'whatsapp has no credentials configured on this host: set WHATSAPP_ENABLED=1 in .env and restart the host. The chat 4155550100@s.whatsapp.net is bound, but gets no answers until then.',
    );
  });
});
