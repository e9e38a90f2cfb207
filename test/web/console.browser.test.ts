// The console in Debian's Chromium, as a person uses it: sign in (an agent key is refused), watch a
// decision arrive live, run the Before/After against the data hall (real as root with ip and nft, else
// SIMULATED), approve the planned isolation from the review queue and see it execute, reject another
// with a note, verify the audit log and check a receipt in the browser. Skips without Chromium, saying
// why, unless CARAPACE_REQUIRE_BROWSER=1.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { netnsAvailability } from '../../src/executors/netns/index.js';
import { type Browser, browserSkip, launchBrowser } from './browser.js';
import { type ConsoleHarness, startConsoleHarness, waitUntil } from './console_harness.js';

const skip = browserSkip();
let h: ConsoleHarness;
let browser: Browser;
let page: Page;
let agentKey: string;
const pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  // The real hall where this machine can run it (the CI machine runs as root with ip and nft).
  h = await startConsoleHarness({ hall: netnsAvailability().ok ? 'auto' : 'simulated', prefix: 'cpweb' });
  agentKey = await h.principal('browser-agent', 'agent', 'operator-console');
  browser = await launchBrowser();
  page = await browser.page();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
after(async () => {
  if (skip) return;
  await browser?.close();
  await h?.close();
});

async function signIn(key: string): Promise<void> {
  await page.goto(`${h.gateway.url}/`);
  // A key already in this tab signs in by itself: sign out first, as a person would.
  const signOut = page.getByRole('button', { name: 'Sign out' });
  await page.getByLabel('API key').or(signOut).first().waitFor();
  if (await signOut.isVisible()) await signOut.click();
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function propose(envelope: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await h.call('POST', '/v1/actions', agentKey, { envelope })).body;
}

test('an agent key is refused with the reason, and an admin key signs in', { skip }, async () => {
  await signIn(agentKey);
  await page.getByRole('alert').getByText('agent keys cannot sign in to the console').waitFor();
  assert.equal(await page.evaluate("sessionStorage.getItem('carapace.console.key')"), null);
  await signIn(h.adminKey);
  await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
  for (const name of [
    'Decisions',
    'Reviews',
    'Audit',
    'Agents & trust',
    'Channels',
    'Policy',
    'Before / After',
  ])
    assert.ok(await page.getByRole('link', { name, exact: true }).isVisible(), name);
  assert.ok(!page.url().includes('cpk_'), 'the key is never in the URL');
  await page.getByText('Live', { exact: true }).waitFor();
});

test('a decision arrives live on the decisions page', { skip }, async () => {
  await page.getByRole('link', { name: 'Decisions', exact: true }).click();
  await page.getByRole('heading', { name: 'Decisions' }).waitFor();
  await page.waitForTimeout(300);
  const answer = await propose({ intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-03' } });
  const seq = (answer.audit as { seq: number }).seq;
  const row = page.locator(`tr[data-seq="${seq}"]`);
  await row.waitFor({ timeout: 10_000 });
  assert.match(await row.innerText(), /ALLOW[\s\S]*R8[\s\S]*get_telemetry/);
  await row.getByRole('link').click();
  await page.getByRole('heading', { name: /Decision \d+/ }).waitFor();
  assert.match(await page.locator('.explanation').innerText(), /observe only/);
});

test(
  'the Before/After runs, and the planned isolation is approved from the review queue and executes',
  { skip },
  async () => {
    await page.getByRole('link', { name: 'Before / After' }).click();
    const label = await page.getByTestId('hall-label').innerText();
    assert.match(label, h.hall?.simulated ? /^SIMULATED/ : /^REAL/);
    await page.locator('table.canaries td[data-state="up"]').first().waitFor();
    await page.getByRole('button', { name: 'Run: gate off, then on' }).click();
    // Gate off: the canaries see SJ-01 go dark in the grid, then it heals.
    await page.locator('tr[data-site="sj-01"] td[data-state="down"]').first().waitFor({ timeout: 20_000 });
    await page.getByText('SJ-01 is dark: 9 of 9').waitFor({ timeout: 20_000 });
    // Gate on: QUARANTINE by R2, nothing goes dark; then the review waits.
    await page.getByText(/gateway: QUARANTINE by R2/).waitFor({ timeout: 30_000 });
    await page.getByText(/token: none minted; executor: not called/).waitFor();
    await page.locator('.callout-action').waitFor({ timeout: 30_000 });

    // The admin makes an approver key and decides as that approver in this tab.
    await page.getByRole('link', { name: 'approve or reject it in the review queue' }).click();
    await page.getByRole('button', { name: 'Create an approver key' }).click();
    await page.getByRole('button', { name: 'Use this key in this tab' }).click();
    await page.locator('.principal .role', { hasText: 'approver' }).waitFor();
    const card = page.locator('article.review-pending', { hasText: 'spine-switch-oak-01' });
    await card.waitFor();
    assert.match(await card.locator('.countdown').innerText(), /expires in \d+:\d\d/);
    await card.getByText(/HUMAN REVIEW by R4/).waitFor();
    await card.getByLabel('Note (required to reject)').fill('CHG-2211 window');
    await card.getByRole('button', { name: 'Approve' }).click();
    const decided = page.locator('article.review-approved', { hasText: 'spine-switch-oak-01' });
    await decided.locator('.executed').waitFor({ timeout: 20_000 });
    assert.match(await decided.locator('.executed').innerText(), /Executed: .*spine-switch-oak-01/);

    await page.getByRole('link', { name: 'Before / After' }).click();
    await page.getByTestId('summary').waitFor({ timeout: 30_000 });
    const summary = await page.getByTestId('summary').innerText();
    assert.match(summary, /QUARANTINE \(R2\)/);
    assert.match(summary, /review approved; executed, then healed/);
    await page.locator('tr[data-site="oak-01"] td[data-state="up"]').first().waitFor({ timeout: 20_000 });
  },
);

test(
  'an approver rejects a review with a required note, and sees another approver’s decision live',
  { skip },
  async () => {
    const note = await h.call('POST', '/v1/ingest', agentKey, {
      content: 'leaf-switch-sj-01-a flapping; isolate it',
      session: 's-leaf',
    });
    const held = await propose({
      intent: 'remediate_destructive',
      tool: 'isolate_network_device',
      args: { device_id: 'leaf-switch-sj-01-a' },
      source_signals: [note.body.id],
      session: 's-leaf',
    });
    assert.equal(held.decision, 'HUMAN_REVIEW');
    const id = (held.review as { id: string }).id;
    await page.getByRole('link', { name: 'Reviews' }).click();
    const card = page.locator('article', { hasText: id });
    await card.waitFor({ timeout: 10_000 });
    const reject = card.getByRole('button', { name: 'Reject' });
    assert.equal(await reject.isDisabled(), true, 'reject needs a note');
    await card.getByLabel('Note (required to reject)').fill('not during peak hours');
    await reject.click();
    await page
      .locator('article.review-rejected', { hasText: id })
      .getByText('not during peak hours')
      .first()
      .waitFor();

    // A review decided by someone else (through the API) leaves the pending list without a reload.
    const other = await propose({
      intent: 'remediate_destructive',
      tool: 'isolate_network_device',
      args: { device_id: 'leaf-switch-sj-01-b' },
      source_signals: [note.body.id],
      session: 's-leaf',
    });
    const otherId = (other.review as { id: string }).id;
    await page.locator('article.review-pending', { hasText: otherId }).waitFor({ timeout: 10_000 });
    const colleague = await h.principal('colleague-approver', 'approver');
    await h.call('POST', `/v1/reviews/${otherId}/reject`, colleague, { note: 'colleague says no' });
    await page.locator('article.review-rejected', { hasText: otherId }).waitFor({ timeout: 10_000 });
  },
);

test('the audit explorer verifies the log and checks a receipt in the browser', { skip }, async () => {
  await signIn(h.adminKey);
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('button', { name: 'Verify now' }).click();
  const verdict = page.getByTestId('verify-result');
  await verdict.waitFor();
  assert.match(await verdict.innerText(), /^OK: [\d,]+ entries/);

  const decisions = await h.call('GET', '/v1/decisions?decision=QUARANTINE', h.adminKey);
  const seq = (decisions.body.decisions as { seq: number }[])[0]?.seq as number;
  const receipt = await waitUntil(async () => {
    const r = await h.call('GET', `/v1/audit/entries/${seq}/receipt`, h.adminKey);
    return r.status === 200 ? r.body : null;
  });
  const file = join(h.dataDir, `receipt-${seq}.json`);
  writeFileSync(file, JSON.stringify(receipt));
  await waitUntil(async () => (await page.locator('#vkey').inputValue()).startsWith('carapace.local/audit+'));
  await page.getByTestId('receipt-file').setInputFiles(file);
  await page.getByTestId('receipt-result').waitFor();
  assert.match(
    await page.getByTestId('receipt-result').innerText(),
    new RegExp(`^OK: receipt-${seq}\\.json: entry ${seq} \\(decision\\)`),
  );
  const tampered = structuredClone(receipt) as { entry: { ts: string } };
  tampered.entry.ts = '2020-01-01T00:00:00.000Z';
  writeFileSync(file, JSON.stringify(tampered));
  await page.getByTestId('receipt-file').setInputFiles(file);
  await page
    .getByTestId('receipt-result')
    .getByText(/^FAIL: .*hashes to/)
    .waitFor();
});

test(
  'the agents page shows the tier an agent acts at and its breaker, which an admin closes',
  { skip },
  async () => {
    await h.call('POST', '/v1/admin/principals/agent:browser-agent/tier', h.adminKey, { tier: 'T6' });
    const opened = new Date().toISOString();
    await h.gateway.ctx.store.putState(
      'breaker',
      'agent:browser-agent',
      {
        open: true,
        opened_at: opened,
        reason: { metric: 'rate', ratio: 12 },
        closed_at: null,
        closed_by: null,
      },
      0,
      opened,
    );
    await page.getByRole('link', { name: 'Agents & trust', exact: true }).click();
    const row = page.locator('tr', { hasText: 'agent:browser-agent' });
    await row.getByText('open', { exact: true }).waitFor();
    const text = await row.innerText();
    assert.match(text, /T4 score 876\.0/, 'certified T6, acting at T4 without an attestation');
    assert.match(text, /attestation/);
    assert.match(text, /rate at 12× baseline/);
    await row.getByRole('button', { name: 'Close breaker' }).click();
    await row.getByText('closed', { exact: true }).waitFor();
    assert.equal((await h.gateway.ctx.identity.monitor.breaker('agent:browser-agent'))?.open, false);
  },
);

test('signing out removes the key from the tab', { skip }, async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  assert.equal(await page.evaluate("sessionStorage.getItem('carapace.console.key')"), null);
  assert.deepEqual(pageErrors, [], 'no script error on any page');
});
