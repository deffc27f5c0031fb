/**
 * Headless Chromium for the browser tests, driven by playwright-core (Playwright's own browser
 * download is not used: it cannot work on a machine that reaches only the npm registry).
 *
 * Which browser: `CHROMIUM_PATH` when set, else a system Chromium (`/usr/bin/chromium`), else the
 * one `npm ci` brings — `@sparticuz/chromium`, a dev dependency that ships a headless Chromium inside
 * its npm package and unpacks it into the temp directory on first use. The choice is made once per
 * `npm test` in vitest's global setup (test/support/chromium-setup.ts), so parallel test files never
 * unpack it at the same time, and handed to the tests with `provide`/`inject`.
 */
import { type Browser, chromium } from 'playwright-core';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Chromium binary the browser tests launch (see findChromium). */
    chromiumPath: string;
  }
}

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  // This machine's network is closed: without these, Chromium keeps opening connections that fail.
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** Launches headless Chromium (the one the global setup chose). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: inject('chromiumPath'), headless: true, args: ARGS });
}
