/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import type { HostEvent } from '../host-api.js';
import { defaultRuntime } from './test-runtimes.js';
import {
  DESKTOP,
  horizontalOverflow,
  launchChromium,
  PHONE,
  saveScreenshot,
  seriousA11yViolations,
} from './test-utils/browser.js';
import { until, useSuiteProject } from './test-utils/e2e-host.js';

/**
 * The dashboard in a real headless Chromium (Debian's, through playwright-core) against the real host with the
 * mock agent, in the runtime a default install picks. Every action is done by keyboard alone (Tab to the control,
 * then Enter or typing): what works that way works with a mouse too. Each page is checked with axe-core (no
 * serious or critical finding), for sideways scrolling at 375 px, and saved as a screenshot at both widths.
 */
const target = await defaultRuntime();
const browser: Browser | undefined = target.runtime ? await launchChromium() : undefined;

describe.skipIf(!target.runtime || !browser)(
  `the dashboard in Chromium (${target.name})`,
  { timeout: 180_000 },
  () => {
    let client: HostClient;
    let baseUrl: string;
    let signedIn: BrowserContext;
    let page: Page;

    useSuiteProject(`nanoclaw-dashboard-${target.name}`, target.runtime, async (suite, runtime) => {
      ({ client } = await suite.startHost(runtime));
      baseUrl = client.baseUrl;
      await client.addGroup({ folder: 'family', name: 'Family' });
      suite.defer(() => browser?.close());
    });

    beforeAll(async () => {
      if (!browser) return;
      signedIn = await browser.newContext({ viewport: DESKTOP });
      page = await signedIn.newPage();
      const link = await client.createDashboardLink();
      await page.goto(link.url);
      await page.waitForURL(`${baseUrl}/`);
      await page.locator('[data-testid=session][data-state=signed-in]').waitFor();
    });

    afterAll(async () => {
      await signedIn?.close();
    });

    it('the login link signs in: the overview lists the seeded groups, a link works once', async () => {
      await page.goto(`${baseUrl}/#/`);
      await expect
        .poll(() => page.locator('[data-testid=group-row]').evaluateAll(folders))
        .toEqual(['main', 'family']);
      // A second link opened in the same browser (a new tab) signs it in again; the first tab keeps working
      // (the tests below act in it). A used link is refused.
      const link = await client.createDashboardLink();
      const secondTab = await signedIn.newPage();
      await secondTab.goto(link.url);
      await secondTab.locator('[data-testid=session][data-state=signed-in]').waitFor();
      await secondTab.close();
      const elsewhere = await browser?.newContext();
      const again = await elsewhere?.newPage();
      const response = await again?.goto(link.url);
      expect(response?.status()).toBe(401);
      expect(await again?.textContent('body')).toContain('nanoclaw dashboard');
      await elsewhere?.close();
    });

    it('without the cookie the page shows no group data and the API answers 401', async () => {
      const stranger = await browser?.newContext({ viewport: DESKTOP });
      const outside = await stranger?.newPage();
      if (!outside) throw new Error('no page');
      await outside.goto(`${baseUrl}/`);
      await outside.locator('[data-testid=signed-out]').waitFor();
      expect(await outside.locator('[data-testid=group-row]').count()).toBe(0);
      expect(await outside.textContent('body')).not.toContain('Family');
      expect((await outside.request.get(`${baseUrl}/api/v1/status`)).status()).toBe(401);
      await checkPage(outside, 'signed-out');
      await stranger?.close();
    });

    it('a forged cross-site POST is refused and stores nothing', async () => {
      const forger = await forgingSite(baseUrl);
      try {
        const forged = await signedIn.newPage();
        const response = await forged.goto(forger.url);
        await forged.waitForURL(`${baseUrl}/api/v1/groups/main/messages`);
        expect(response).not.toBeNull();
        expect(await forged.textContent('body')).toContain('"code":"csrf"');
        await forged.close();
      } finally {
        await forger.close();
      }
      // The dashboard's own origin without the CSRF header is refused too.
      const status = await page.evaluate(async () => {
        const answer = await fetch('/api/v1/groups/main/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'forged' }),
        });
        return answer.status;
      });
      expect(status).toBe(403);
      const stored = await client.listMessages('main', { limit: 100 });
      expect(stored.map((message) => message.text).filter((text) => text.includes('forged'))).toEqual([]);
    });

    it('a message sent on the group page gets a reply that streams in visibly, then ends', async () => {
      await page.goto(`${baseUrl}/#/groups/main`);
      await page.locator('[data-testid=send-form]').waitFor();
      await watchAgentText(page);
      await tabTo(page, page.getByLabel('Message'));
      await page.keyboard.type('hello from the dashboard');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('/stream 5 250');
      await page.keyboard.press('Enter');
      const bubble = page.locator('[data-testid=agent-bubble]').last();
      await expect.poll(() => bubble.getAttribute('data-streaming'), { timeout: 60_000 }).toBe('false');
      const final = (await bubble.locator('[data-testid=agent-text]').textContent()) ?? '';
      expect(final).toContain('Mock reply to: hello from the dashboard');
      const seen = await page.evaluate(() => (window as unknown as { seenTexts: string[] }).seenTexts);
      const partial = [...new Set(seen)].filter(
        (text) => text !== '' && text !== final && final.startsWith(text),
      );
      expect(partial.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(2);
      await checkPage(page, 'group');
    });

    it('a sandbox killed mid-reply: the bubble says the try failed and when the next starts, then fills anew', async () => {
      await page.goto(`${baseUrl}/#/groups/main`);
      await page.locator('[data-testid=send-form]').waitFor();
      await tabTo(page, page.getByLabel('Message'));
      await page.keyboard.type('cut short');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('/stream 8 250');
      await page.keyboard.press('Enter');
      const bubble = page.locator('[data-testid=agent-bubble]').last();
      await expect.poll(() => bubble.locator('[data-testid=agent-text]').textContent()).not.toBe('');
      const [busy] = (await client.listSandboxes()).filter((s) => s.folder === 'main');
      await client.killSandbox(busy?.id ?? '');
      await expect.poll(() => bubble.getAttribute('data-status'), { timeout: 30_000 }).toBe('retrying');
      expect(await bubble.locator('.bubble-meta').textContent()).toMatch(
        /this try failed \(the sandbox exited .*\); trying again in \d+ s/,
      );
      await expect.poll(() => bubble.getAttribute('data-streaming'), { timeout: 60_000 }).toBe('false');
      expect(await bubble.getAttribute('data-status')).toBe('replied');
      expect(await bubble.locator('[data-testid=agent-text]').textContent()).toBe('Mock reply to: cut short');
    });

    it("a group's settings: a wrong key is shown beside it and nothing is written; a good change is saved", async () => {
      await page.goto(`${baseUrl}/#/groups/family`);
      const editor = page.getByLabel('Configuration (JSON)');
      await editor.waitFor();
      await tabTo(page, editor);
      await page.keyboard.press('ControlOrMeta+a');
      await page.keyboard.type('{"skills": 5}');
      await tabTo(page, page.getByRole('button', { name: 'Save configuration' }));
      await page.keyboard.press('Enter');
      await page.locator('[data-testid=config-field-error][data-field=skills]').waitFor();
      expect((await client.getGroupConfig('family')).config).toEqual({});
      await tabTo(page, editor);
      await page.keyboard.press('ControlOrMeta+a');
      await page.keyboard.type('{"skills": "all", "model": "mock-large"}');
      await tabTo(page, page.getByRole('button', { name: 'Save configuration' }));
      await page.keyboard.press('Enter');
      await expect
        .poll(async () => (await client.getGroupConfig('family')).config)
        .toEqual({ skills: 'all', model: 'mock-large' });
      await expect.poll(() => page.locator('[data-testid=config-field-error]').count()).toBe(0);
    });

    it('an interval task: next runs previewed, added, fires, shows in the history; paused it runs no more', async () => {
      await page.goto(`${baseUrl}/#/tasks`);
      const before = (await client.listTasks()).length;
      await fillTaskForm(page, { kind: 'cron', value: '61 * * * *', prompt: 'bad cron' });
      const error = page.locator('[data-testid=task-schedule-error]');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/cron|minute|61/i);
      await tabTo(page, page.getByRole('button', { name: 'Add task' }));
      await page.keyboard.press('Enter');
      await error.waitFor();
      expect((await client.listTasks()).length).toBe(before);

      await fillTaskForm(page, { kind: 'interval', value: '4s', prompt: 'tick /usage 7 3' });
      await expect.poll(() => page.locator('[data-testid=task-preview] li').count()).toBe(3);
      await tabTo(page, page.getByRole('button', { name: 'Add task' }));
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await client.listTasks()).length).toBe(before + 1);
      const task = (await client.listTasks()).find((t) => t.prompt === 'tick /usage 7 3');
      const row = page.locator(`[data-testid=task-row][data-task-id="${task?.id}"]`);
      await row.waitFor();
      expect(await row.locator('[data-testid=task-next-runs] li').count()).toBeGreaterThanOrEqual(1);
      await expect
        .poll(async () => (await client.listRuns({ taskId: task?.id })).length, { timeout: 60_000 })
        .toBeGreaterThan(0);
      await tabTo(page, row.locator('[data-testid=task-runs-toggle]'));
      await page.keyboard.press('Enter');
      await expect
        .poll(
          () =>
            page
              .locator(`[data-testid=run-history][data-task-id="${task?.id}"] [data-testid=run-row]`)
              .count(),
          { timeout: 15_000 },
        )
        .toBeGreaterThan(0);
      await checkPage(page, 'tasks');

      await tabTo(page, row.getByRole('button', { name: /^Pause task/ }));
      await page.keyboard.press('Enter');
      await expect.poll(() => row.getAttribute('data-status')).toBe('paused');
      const runs = (await client.listRuns({ taskId: task?.id })).length;
      await new Promise((resolve) => setTimeout(resolve, 9_000));
      expect((await client.listRuns({ taskId: task?.id })).length).toBe(runs);
    });

    it('the usage page charts the tokens of the runs just made', async () => {
      await client.postMessage('main', { text: 'count me\n/usage 120 45' });
      await expect
        .poll(
          async () => (await client.listUsage({ days: 1 })).reduce((sum, row) => sum + row.inputTokens, 0),
          {
            timeout: 60_000,
          },
        )
        .toBeGreaterThanOrEqual(120);
      await page.goto(`${baseUrl}/#/usage`);
      const main = page.locator('[data-testid=usage-by-group] [data-testid=usage-row][data-key=main]');
      await main.waitFor();
      const text = (await main.textContent()) ?? '';
      const usage = (await client.listUsage({ days: 1 })).filter((row) => row.folder === 'main');
      const sum = (key: 'inputTokens' | 'outputTokens') => usage.reduce((total, row) => total + row[key], 0);
      expect(text).toContain(String(sum('inputTokens')));
      expect(text).toContain(String(sum('outputTokens')));
      expect(await page.locator('[data-testid=usage-chart] canvas').count()).toBeGreaterThan(0);
      await checkPage(page, 'usage');
    });

    it('killing a sandbox: the overview shows it stopped, the next message still gets an answer', async () => {
      const sandboxes = await client.listSandboxes();
      const sandbox = sandboxes.find((s) => s.folder === 'main');
      expect(sandbox, JSON.stringify(sandboxes)).toBeDefined();
      await page.goto(`${baseUrl}/#/sandboxes`);
      const row = page.locator(`[data-testid=sandbox-row][data-sandbox-id="${sandbox?.id}"]`);
      await row.waitFor();
      await checkPage(page, 'sandboxes');
      await tabTo(page, row.locator('[data-testid=sandbox-kill]'));
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
        .toBe('sandbox-kill-confirm');
      await page.keyboard.press('Enter');
      await row.waitFor({ state: 'detached' });
      await page.goto(`${baseUrl}/#/`);
      const state = page.locator('[data-testid=group-row][data-folder=main] [data-testid=group-sandbox]');
      await expect.poll(() => state.textContent()).toMatch(/none|stopped/);
      await checkPage(page, 'overview');
      const replies = await watchReplies(client, 'main');
      try {
        await client.postMessage('main', { text: 'after the kill' });
        await until(() => replies.includes('Mock reply to: after the kill'), 60_000);
      } finally {
        replies.close();
      }
    });

    it('approving a pending access request from the page answers the held message', async () => {
      await client.addUser({ userId: 'local:user', role: 'owner' });
      await client.setGroupAccess('family', 'request');
      const replies = await watchReplies(client, 'family');
      try {
        const posted = await client.postMessage('family', { text: '@Andy hi, may I?', sender: 'stranger' });
        expect(posted.willReply).toBe(false);
        await page.goto(`${baseUrl}/#/people`);
        const row = page.locator('[data-testid=approval-row][data-kind=access-request]').first();
        await row.waitFor();
        await checkPage(page, 'people');
        await tabTo(page, row.getByRole('button', { name: /^Approve/ }));
        await page.keyboard.press('Enter');
        await row.waitFor({ state: 'detached' });
        await until(() => replies.includes('Mock reply to: @Andy hi, may I?'), 60_000);
        const audit = await client.listAudit({ folder: 'family' });
        expect(audit.filter((entry) => entry.actor === 'dashboard').map((entry) => entry.action)).toContain(
          'approved',
        );
      } finally {
        replies.close();
      }
    });
  },
);

/** The folders of the overview's group rows, in order. */
function folders(rows: Element[]): string[] {
  return rows.map((row) => row.getAttribute('data-folder') ?? '');
}

/** Presses Tab until `target` has the focus (as a keyboard user reaches it); fails after 200 presses. */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await target.evaluate((element) => element === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

/** Fills the task form by keyboard: the group (main), the prompt, the kind and its value. */
async function fillTaskForm(
  page: Page,
  task: { kind: string; value: string; prompt: string },
): Promise<void> {
  await tabTo(page, page.getByLabel('Group'));
  await page.keyboard.type('main');
  await tabTo(page, page.getByLabel('Prompt'));
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(task.prompt);
  const radio = page.getByRole('radio', { name: task.kind });
  await tabTo(page, page.locator('input[name=task-kind]:checked'));
  for (let i = 0; i < 3 && !(await radio.isChecked()); i++) await page.keyboard.press('ArrowRight');
  expect(await radio.isChecked()).toBe(true);
  await tabTo(page, page.locator('#task-schedule'));
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(task.value);
}

/** Records every text the last agent bubble shows, as it changes (`window.seenTexts`). */
async function watchAgentText(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seenTexts: string[] }).seenTexts = seen;
    const record = () => {
      const bubbles = document.querySelectorAll('[data-testid=agent-text]');
      const last = bubbles[bubbles.length - 1];
      if (last) seen.push(last.textContent ?? '');
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
    });
  });
}

/** The reply texts of a group from now on, over the host's event stream. */
async function watchReplies(client: HostClient, folder: string): Promise<string[] & { close(): void }> {
  const replies: string[] = [];
  const stream = await client.openEvents(folder, (event: HostEvent) => {
    if (event.type === 'reply') replies.push(event.text);
  });
  return Object.assign(replies, { close: () => stream.close() });
}

/** axe-core, sideways scrolling at 375 px, and a screenshot at both widths, of the page as it is. */
async function checkPage(page: Page, name: string): Promise<void> {
  const viewport = page.viewportSize() ?? DESKTOP;
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
    expect(await seriousA11yViolations(page), `${name} at ${size.width} px`).toEqual([]);
    if (size === PHONE) expect(await horizontalOverflow(page), `${name} scrolls sideways at 375 px`).toBe(0);
    expect(fs.existsSync(await saveScreenshot(page, name))).toBe(true);
  }
  await page.setViewportSize(viewport);
}

/**
 * Another origin (same host, another port) whose page posts a form to the host's message route at once, as a
 * forged cross-site request would: the browser sends the session cookie but no CSRF header.
 */
async function forgingSite(hostUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const action = `${hostUrl}/api/v1/groups/main/messages`;
  const html = `<!doctype html><html lang="en"><title>win a prize</title><body>
<form id="f" method="POST" action="${action}" enctype="text/plain"><input name='{"text":"forged","x":"' value='"}'></form>
<script>document.getElementById('f').submit()</script></body></html>`;
  const server = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(html),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${path.basename('prize.html')}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
