/**
 * A dashboard upload on `relay-audit serve` is analysed with the accepted domains `relay-audit check
 * --store` kept with the store, as the cloud's uploads take the bucket's config/: the sendmail sample
 * then gives the findings `analyze --accepted-domains` gives (a foreign sender at high confidence),
 * not the low-confidence guesses of domains inferred from one small log.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';
import { cli } from '../support/capture-output.js';
import { uploadAsDashboard } from '../support/dashboard-upload.js';

const SENDMAIL = 'sample-logs/sendmail-maillog.log';
const ACCEPTED_DOMAINS = 'sample-logs/config/accepted-domains.csv';

interface Finding {
  recipient: string;
  scenario: string;
  confidence: string;
}

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'relay-audit-upload-organisation-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The findings of `path` analysed on its own: `--no-store --json` prints one per line before the summary. */
async function analysed(...flags: string[]): Promise<Finding[]> {
  const { status, out } = await cli('analyze', SENDMAIL, '--no-store', '--json', ...flags);
  expect(status).toBe(0);
  return out.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Partial<Finding> & { summary?: unknown })
    .filter((line): line is Finding => line.scenario !== undefined)
    .map(({ recipient, scenario, confidence }) => ({ recipient, scenario, confidence }));
}

async function servedFindings(server: RunningServer): Promise<Finding[]> {
  const page = (await (await fetch(`${server.url}api/findings?limit=100`)).json()) as { items: Finding[] };
  return page.items.map(({ recipient, scenario, confidence }) => ({ recipient, scenario, confidence }));
}

const byRecipient = (a: Finding, b: Finding): number => a.recipient.localeCompare(b.recipient);

describe('dashboard uploads and the organisation kept with the store', () => {
  it('analyses an upload with the accepted domains `check --store` saved', async () => {
    const db = join(work, 'checked');
    const checked = await cli('check', '--accepted-domains', ACCEPTED_DOMAINS, '--store', '--db', db);
    expect(checked.status).not.toBe(2);
    const server = await startServer({ db, port: 0, logLevel: 'silent' });
    try {
      await uploadAsDashboard(server, SENDMAIL);
      const expected = await analysed('--accepted-domains', ACCEPTED_DOMAINS);
      // The control: with the list, the sample's foreign sender is told apart at high confidence.
      expect(expected).toContainEqual(
        expect.objectContaining({ scenario: 'foreign-sender-domain', confidence: 'high' }),
      );
      expect((await servedFindings(server)).sort(byRecipient)).toEqual(expected.sort(byRecipient));
    } finally {
      await server.close();
    }
  });

  it('infers the domains when no check was stored, as before', async () => {
    const server = await startServer({ db: join(work, 'unchecked'), port: 0, logLevel: 'silent' });
    try {
      await uploadAsDashboard(server, SENDMAIL);
      expect((await servedFindings(server)).sort(byRecipient)).toEqual((await analysed()).sort(byRecipient));
    } finally {
      await server.close();
    }
  });
});
