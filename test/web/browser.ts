// Debian's Chromium driven by playwright-core for the console's browser tests and screenshots: headless,
// no sandbox (CI runs as root), nothing fetched from the network, a fresh profile each launch. Without
// Chromium the browser tests skip saying why, unless CARAPACE_REQUIRE_BROWSER=1 (CI), where they fail.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CARAPACE_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** false when Chromium is there; else why the browser tests skip. Throws when they must run (CI). */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CARAPACE_CHROMIUM)`;
  if (process.env.CARAPACE_REQUIRE_BROWSER === '1')
    throw new Error(`CARAPACE_REQUIRE_BROWSER=1 but ${reason}`);
  return reason;
}

export interface Browser {
  context: BrowserContext;
  page(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'carapace-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  return {
    context,
    async page(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
