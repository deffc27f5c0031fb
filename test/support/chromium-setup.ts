/**
 * Vitest global setup: find (and if needed unpack) the browser tests' Chromium once per run, before
 * any test file starts, and provide its path to the tests (see browser.ts).
 */
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';

/** The system location, used when present (Debian's `chromium` package). */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Where the browser tests' Chromium is: `CHROMIUM_PATH`, the system one, or the packaged one
 * (unpacked into the temp directory the first time, about 2 s; reused afterwards).
 */
export async function findChromium(): Promise<string> {
  const fromEnvironment = process.env.CHROMIUM_PATH;
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    if (!existsSync(fromEnvironment)) throw new Error(`CHROMIUM_PATH=${fromEnvironment}: no such file`);
    return fromEnvironment;
  }
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('chromiumPath', await findChromium());
}
