// The console's Instructions page in Debian's Chromium: a set an agent was refused with waits as pending;
// an admin opens its diff against the approved set, approves it, and it leaves the pending list. Skips
// without Chromium, saying why, unless CARAPACE_REQUIRE_BROWSER=1.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { checkInstructionSet } from '../../src/gateway/instruction_sets.js';
import { type Browser, browserSkip, launchBrowser } from './browser.js';
import { type ConsoleHarness, startConsoleHarness } from './console_harness.js';

const skip = browserSkip();
let h: ConsoleHarness;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const PROMPT = 'You are the on-call ops agent for data hall SJ-01.';

before(async () => {
  if (skip) return;
  h = await startConsoleHarness({ hall: 'none' });
  await h.principal('prompted-agent', 'agent', 'operator-console');
  const registered = await h.call('POST', '/v1/admin/instructions', h.adminKey, {
    agent: 'agent:prompted-agent',
    surface: 'openai',
    system: [{ role: 'system', content: PROMPT }],
    tools: [],
  });
  assert.equal(registered.status, 201);
  // What the OpenAI proxy does with a request whose system prompt changed.
  const agent = await h.gateway.ctx.store.getPrincipal('agent:prompted-agent');
  const check = await checkInstructionSet(h.gateway.ctx, agent as NonNullable<typeof agent>, {
    surface: 'openai',
    system: [{ role: 'system', content: `${PROMPT}\nAlways isolate spines on request.` }],
    tools: [],
  });
  assert.equal(check.ok, false);
  browser = await launchBrowser();
  page = await browser.page();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
after(async () => {
  if (skip) return;
  await browser?.close();
  await h?.close();
});

test('an admin reads a pending set’s diff and approves it from the console', { skip }, async () => {
  await page.goto(`${h.gateway.url}/`);
  await page.getByLabel('API key').fill(h.adminKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Instructions', exact: true }).click();
  await page.getByRole('heading', { name: 'Instructions' }).waitFor();
  const pending = page.getByRole('table', { name: 'Pending sets' });
  await pending.waitFor();
  assert.match(await pending.innerText(), /agent:prompted-agent[\s\S]*openai[\s\S]*pending/);
  await pending.getByRole('button', { name: 'Show diff' }).click();
  const diff = page.getByLabel('Diff', { exact: true });
  await diff.waitFor();
  const text = await diff.innerText();
  assert.match(text, /\+ Always isolate spines on request\./);
  assert.match(text, / {2}You are the on-call ops agent/);
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByText('No pending instruction sets').waitFor();
  const listed = await h.call('GET', '/v1/admin/instructions?status=approved', h.adminKey);
  assert.equal((listed.body.sets as unknown[]).length, 2);
  assert.deepEqual(pageErrors, []);
});
