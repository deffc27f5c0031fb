#!/usr/bin/env node
/**
 * CDK app entry (`cdk.json` → `npx tsx bin/app.ts`). Settings come from CDK context; see
 * `lib/settings.ts` for the keys and defaults.
 */
import { createApp } from '../lib/create-app.js';

createApp().app.synth();
