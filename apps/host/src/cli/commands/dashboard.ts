import type { Command } from 'commander';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { writeLine, writeResult } from '../cli-io.js';
import { type BrowserOpener, createBrowserOpener } from '../open-browser.js';

export interface DashboardDeps extends CliDeps {
  /** Default: `xdg-open` / `open` when a graphical session is there. */
  openBrowser?: BrowserOpener;
}

/**
 * `nanoclaw dashboard`: a one-time login link to the running host's web dashboard (good for 5 minutes), printed
 * and opened in the browser when there is one. A machine without a browser only prints it.
 */
export function registerDashboardCommand(program: Command, deps: DashboardDeps, context: CliContext): void {
  program
    .command('dashboard')
    .description('open the web dashboard: prints a one-time login link (5 minutes) and opens it in a browser')
    .option('--no-open', 'only print the link')
    .option('--json', 'print the link as JSON')
    .action(
      action(deps, context, async (options: { open: boolean; json?: boolean }) => {
        const link = await context.client().createDashboardLink();
        writeResult(
          context.stdout,
          options.json,
          link,
          ({ url }) => `dashboard login link (works once, for 5 minutes):\n  ${url}`,
        );
        if (!options.open) return 0;
        const opener =
          deps.openBrowser ?? createBrowserOpener({ platform: context.platform, env: context.env });
        const opened = await opener(link.url);
        if (opened.opened) writeLine(context.stderr, `opened it with ${opened.command}`);
        else writeLine(context.stderr, `not opened (${opened.reason}): open the link in a browser yourself`);
        return 0;
      }),
    );
}
