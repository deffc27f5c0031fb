/**
 * Builds the app the way `npx cdk synth` does — with the feature flags of `cdk.json` — plus the
 * test's own context, so template assertions see what a deployment would get.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/relay-function.js';
import { createApp, type RelayAuditApp } from '../../lib/create-app.js';

/** The `context` block of `cdk.json` (feature flags). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** The relay-audit app with `cdk.json` flags and `context` on top; cdk-nag off unless asked. */
export function buildApp(context: Record<string, unknown> = {}, nag = false): RelayAuditApp {
  return createApp({ context: { ...cdkJsonContext(), ...context }, nag });
}
