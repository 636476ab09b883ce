import { spawn } from 'node:child_process';

export type OpenResult = { opened: true; command: string } | { opened: false; reason: string };

/** Opens a URL in the user's browser; never throws (a machine without one says why). */
export type BrowserOpener = (url: string) => Promise<OpenResult>;

/**
 * The command that opens a URL here: `open` on macOS, `xdg-open` where a graphical session is (DISPLAY or
 * WAYLAND_DISPLAY); undefined elsewhere (a server over ssh has no browser to open).
 */
export function browserCommand(
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (platform === 'darwin') return 'open';
  if (platform === 'win32') return undefined;
  return env.DISPLAY || env.WAYLAND_DISPLAY ? 'xdg-open' : undefined;
}

/** The default opener: `browserCommand`, started detached (the CLI does not wait for the browser). */
export function createBrowserOpener(options: {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
}): BrowserOpener {
  return (url) => {
    const command = browserCommand(options.platform, options.env);
    if (!command) return Promise.resolve({ opened: false, reason: 'no graphical session here' });
    return new Promise((resolve) => {
      const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
      child.once('error', (error) => resolve({ opened: false, reason: `${command}: ${error.message}` }));
      child.once('spawn', () => {
        child.unref();
        resolve({ opened: true, command });
      });
    });
  };
}
