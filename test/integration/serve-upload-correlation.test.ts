/**
 * A dashboard upload on `relay-audit serve` is analysed as `relay-audit analyze` analyses a file:
 * its receipts go to the inbound Message-ID index and its refusals are correlated with earlier
 * uploads at its end. Two sample tracking logs uploaded one after the other give the forwarding
 * finding that two `analyze` runs give (the message arrives in one file and is refused in the other).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';

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

/** Uploads `path` as the dashboard does (grant, then the form POST) and waits for its analysis. */
async function upload(path: string): Promise<void> {
  const content = await readFile(path);
  const name = basename(path);
  const grantResponse = await fetch(`${server.url}api/uploads?name=${name}&size=${content.length}`, {
    method: 'POST',
  });
  expect(grantResponse.status).toBe(201);
  const grant = (await grantResponse.json()) as { url: string; fields: Record<string, string>; key: string };
  const form = new FormData();
  for (const [field, value] of Object.entries(grant.fields)) form.append(field, value);
  form.append('file', new Blob([content]), name);
  const sent = await fetch(new URL(grant.url, server.url), { method: 'POST', body: form });
  expect(sent.status).toBe(204);
  await expect
    .poll(
      async () => {
        const sources = (await (await fetch(`${server.url}api/sources`)).json()) as {
          items: { file: string; status: string }[];
        };
        return sources.items.find((source) => source.file === grant.key)?.status;
      },
      { timeout: 30_000 },
    )
    .toBe('done');
}

describe('dashboard uploads and earlier uploads', () => {
  it('correlates an upload with the uploads before it, as analyze does', async () => {
    await upload('sample-logs/MSGTRK2026112800-1.LOG');
    await upload('sample-logs/MSGTRK2026112800-2.LOG');
    // The upload's record says `done` once its correlation with earlier uploads is over too: read once.
    const findings = (await (await fetch(`${server.url}api/findings?limit=500`)).json()) as {
      items: { messageId: string; scenario: string }[];
    };
    expect(
      findings.items.filter((finding) => finding.messageId === FORWARDED).map((f) => f.scenario),
    ).toEqual(['forwarding']);
  });
});
