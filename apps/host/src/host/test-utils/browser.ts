/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser.
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { IN_CI } from '@nanoclaw/container-runner/test';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); never a browser downloaded by Playwright. */
export const CHROMIUM_PATH = process.env.NANOCLAW_CHROMIUM ?? '/usr/bin/chromium';

/** Where the browser tests write their screenshots (desktop and 375 px, one per page). */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../../test-results/dashboard');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 740 };

/**
 * Headless Chromium driven by playwright-core; undefined (with the reason printed) when it is not installed here.
 * In CI, which installs it, that is a failure.
 */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    const reason = `${CHROMIUM_PATH} is missing (apt-get install -y --no-install-recommends chromium)`;
    if (IN_CI) throw new Error(`the dashboard's browser tests need Chromium: ${reason}`);
    console.warn(`[dashboard browser tests] skipped: ${reason}`);
    return undefined;
  }
  // Chromium refuses its own sandbox as root (CI runs as root); the page only ever loads the host's loopback URL.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: CHROMIUM_PATH, args });
}

/** axe-core's serious and critical violations on the page as it is now, one line each (`[]` when none). */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} at ${violation.nodes
          .map((node) => node.target.join(' '))
          .join(', ')}`,
    );
}

/** How far the page itself scrolls sideways, in px (0: it fits the viewport). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Saves `<name>-<width>.png` (the full page) in {@link SCREENSHOT_DIR}; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}-${page.viewportSize()?.width ?? 0}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
