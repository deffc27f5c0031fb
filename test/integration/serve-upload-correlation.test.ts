/**
 * A dashboard upload on `relay-audit serve` is analysed as `relay-audit analyze` analyses a file:
 * its receipts go to the inbound Message-ID index and its refusals are correlated with earlier
 * uploads at its end. Two sample tracking logs uploaded one after the other give the forwarding
 * finding that two `analyze` runs give (the message arrives in one file and is refused in the other).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';
import { uploadAsDashboard } from '../support/dashboard-upload.js';

/** The forwarded message of the samples: received in -1.LOG, refused in -2.LOG (see sample-logs/README.md). */
const FORWARDED = 'CAJx7rT2mQ9kFz1v0b8YwP3n@mail.fabrikam.com';

let work: string;
let server: RunningServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'relay-audit-upload-correlation-'));
  server = await startServer({ db: join(work, 'db'), port: 0, logLevel: 'silent' });
});
afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

describe('dashboard uploads and earlier uploads', () => {
  it('correlates an upload with the uploads before it, as analyze does', async () => {
    await uploadAsDashboard(server, 'sample-logs/MSGTRK2026112800-1.LOG');
    await uploadAsDashboard(server, 'sample-logs/MSGTRK2026112800-2.LOG');
    // The upload's record says `done` once its correlation with earlier uploads is over too: read once.
    const findings = (await (await fetch(`${server.url}api/findings?limit=500`)).json()) as {
      items: { messageId: string; scenario: string }[];
    };
    expect(
      findings.items.filter((finding) => finding.messageId === FORWARDED).map((f) => f.scenario),
    ).toEqual(['forwarding']);
  });
});
