// `npm run screenshots`: the console's main pages in Debian's Chromium, after a run of the 03:14 scenario
// on the SIMULATED hall (so the pictures are the same on any machine), saved to docs/screenshots/ for the
// README. Needs a build (npm run build) and /usr/bin/chromium.

import { mkdirSync } from 'node:fs';
import { launchBrowser } from '../test/web/browser.js';
import { startConsoleHarness, waitUntil } from '../test/web/console_harness.js';

const OUT = new URL('../docs/screenshots/', import.meta.url);
mkdirSync(OUT, { recursive: true });
const h = await startConsoleHarness({ hall: 'simulated', prefix: 'cpshot' });
const browser = await launchBrowser();
try {
  const page = await browser.page({ width: 1280, height: 900 });
  const shot = (name: string) =>
    page.screenshot({ path: new URL(`${name}.png`, OUT).pathname, fullPage: true });
  await page.goto(`${h.gateway.url}/`);
  await shot('sign-in');
  await page.getByLabel('API key').fill(h.adminKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Before / After' }).click();
  await page.getByRole('button', { name: 'Run: gate off, then on' }).click();
  await page.locator('.callout-action').waitFor({ timeout: 60_000 });
  await shot('before-after');
  await page.getByRole('link', { name: 'approve or reject it in the review queue' }).click();
  await page.locator('article.review-pending .context').waitFor();
  await shot('reviews');
  await page.getByRole('button', { name: 'Create an approver key' }).click();
  await page.getByRole('button', { name: 'Use this key in this tab' }).click();
  await page.locator('article.review-pending').getByRole('button', { name: 'Approve' }).click();
  await page.locator('.executed').waitFor({ timeout: 30_000 });
  await waitUntil(
    async () =>
      ((await h.call('GET', '/v1/demo', h.adminKey)).body.run as { status: string }).status === 'done',
  );
  await page.getByRole('link', { name: 'Decisions', exact: true }).click();
  await page.locator('table.decisions tbody tr').nth(2).waitFor();
  await shot('decisions');
  const quarantined = await h.call('GET', '/v1/decisions?decision=QUARANTINE', h.adminKey);
  await page.goto(
    `${h.gateway.url}/#/decisions/${(quarantined.body.decisions as { seq: number }[])[0]?.seq}`,
  );
  await page.locator('.chunk-text mark').first().waitFor();
  await shot('decision');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').fill(h.adminKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('button', { name: 'Verify now' }).click();
  await page.getByTestId('verify-result').waitFor();
  await shot('audit');
  await page.getByRole('link', { name: 'Agents & trust' }).click();
  await page.locator('table tbody tr').first().waitFor();
  await shot('agents');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('link', { name: 'Before / After' }).click();
  await page.getByTestId('summary').waitFor();
  await page.screenshot({ path: new URL('before-after-phone.png', OUT).pathname });
  process.stdout.write(`screenshots written to ${OUT.pathname}\n`);
} finally {
  await browser.close();
  await h.close();
}
