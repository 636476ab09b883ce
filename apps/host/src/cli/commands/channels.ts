import { envForAccount } from '@nanoclaw/channel-registry';
import type { Command } from 'commander';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, EXIT, writeLine } from '../cli-io.js';
import { type BrowserOpener, createBrowserOpener } from '../open-browser.js';

export interface ChannelsDeps extends CliDeps {
  /** Default: `xdg-open` / `open` when a graphical session is there. */
  openBrowser?: BrowserOpener;
}

/** The channels whose account needs a sign-in on this machine before the host can start it. */
const LOGIN_CHANNELS = ['gmail'] as const;

/**
 * `nanoclaw channels login gmail [--account <id>] [--paste]`: signs a Gmail account in (OAuth for an installed
 * app) and stores its refresh token 0600 under the data dir; the host uses it from its next start. Works on
 * files and Google, not on the running host.
 */
export function registerChannelsCommand(program: Command, deps: ChannelsDeps, context: CliContext): void {
  const channels = program.command('channels').description('sign chat platform accounts in');
  channels
    .command('login')
    .description(`sign an account in (${LOGIN_CHANNELS.join(', ')}): opens or prints a Google sign-in URL`)
    .argument('<channel>', 'the platform: gmail')
    .option('--account <id>', 'which account of the platform (default: default)', 'default')
    .option('--paste', 'no browser on this machine: paste the address the browser was redirected to')
    .action(
      action(deps, context, async (channel: string, options: { account: string; paste?: boolean }) => {
        if (channel !== 'gmail') {
          throw new CliError(
            `channels login knows ${LOGIN_CHANNELS.join(', ')}, not "${channel}"`,
            EXIT.usage,
          );
        }
        return loginGmailAccount(deps, context, options);
      }),
    );
}

async function loginGmailAccount(
  deps: ChannelsDeps,
  context: CliContext,
  options: { account: string; paste?: boolean },
): Promise<number> {
  const config = context.config();
  const gmail = await import('@nanoclaw/channel-gmail');
  const env = envForAccount(gmail.gmailChannel, { ...config.channelEnv }, options.account);
  const clientId = env[gmail.GMAIL_ENV.clientId]?.trim();
  const clientSecret = env[gmail.GMAIL_ENV.clientSecret]?.trim();
  if (!clientId || !clientSecret) {
    throw new CliError(
      `set ${gmail.GMAIL_ENV.clientId} and ${gmail.GMAIL_ENV.clientSecret} in .env first (packages/channel-gmail/README.md says how to get them)`,
      EXIT.config,
    );
  }
  const settings = gmail.gmailSettings(env);
  const opener = deps.openBrowser ?? createBrowserOpener({ platform: context.platform, env: context.env });
  const paste = options.paste === true;
  const { email } = await gmail.loginGmail({
    clientId,
    clientSecret,
    accountDir: gmail.gmailAccountDir({ NANOCLAW_DATA_DIR: config.NANOCLAW_DATA_DIR }, options.account),
    ...(settings.authUrl ? { authUrl: settings.authUrl } : {}),
    ...(settings.tokenUrl ? { tokenUrl: settings.tokenUrl } : {}),
    ...(settings.apiRoot ? { apiRoot: settings.apiRoot } : {}),
    paste,
    input: context.stdin,
    print: (line) => writeLine(context.stderr, line),
    openBrowser: async (url) => (await opener(url)).opened,
  });
  writeLine(
    context.stdout,
    `signed in to Gmail as ${email} (account ${options.account}); restart the host to start it`,
  );
  return EXIT.ok;
}
