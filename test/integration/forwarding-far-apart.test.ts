/**
 * Forwarding whose evidence and refusal are too far apart for the classifier: a day's tracking
 * logs of two servers, the REDIRECT in the first server's log and the refusal in the second's, with
 * more messages in between than the classifier remembers (`maxTrackedMessages`, made small here in
 * place of a busy day's tens of thousands). Analysed into a new store in one run, the end-of-run
 * correlation finds the receipt in the run's other file, as a second run of the same files would:
 * the refusal is `forwarding`, not `foreign-sender-domain` (whose remediation, adding the
 * sender's domain, the admin could not even do). Real embedded engine (dynalite).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyzeIntoStore } from '../../bin/support/store-run.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { startLocalDynamo } from '../support/local-engines.js';

const SAMPLES = resolve(import.meta.dirname, '..', '..', 'sample-logs');
/** The forwarded message of the samples: kate@contoso.com's mailbox redirects it to kate@tailspintoys.com. */
const FORWARDED = 'CAJx7rT2mQ9kFz1v0b8YwP3n@mail.fabrikam.com';
const REFUSED = 'kate@tailspintoys.com';
/** What the classifier remembers, and how many other messages the first log receives after the forwarding. */
const TRACKED = 10;
const LATER_MESSAGES = 40;

let dynamo: EmbeddedServer;
let dir: string;

beforeEach(async () => {
  dynamo = await startLocalDynamo('relay-audit-far-apart');
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-far-apart-'));
}, 60_000);
afterEach(async () => {
  await dynamo?.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * The sample's first log with `LATER_MESSAGES` more receipts of other outside mail after its rows
 * (the rest of a busy day), as EX01's log; the sample's second log, with the refusal, as EX02's.
 */
async function twoServersLogs(): Promise<{ first: string; second: string }> {
  const text = await readFile(join(SAMPLES, 'MSGTRK2026112800-1.LOG'), 'utf8');
  const receipt = text.split('\n').find((line) => line.includes(FORWARDED) && line.includes(',RECEIVE,'));
  if (receipt === undefined) throw new Error('the sample lost its receipt of the forwarded message');
  const later = Array.from({ length: LATER_MESSAGES }, (_, n) =>
    receipt
      .replace(FORWARDED, `later-${n}@mail.fabrikam.com`)
      .replace('21583961239', String(31_000_000_000 + n)),
  );
  const first = join(dir, 'EX01', 'MSGTRK2026112800-1.LOG');
  const second = join(dir, 'EX02', 'MSGTRK2026112800-1.LOG');
  await mkdir(join(dir, 'EX01'));
  await mkdir(join(dir, 'EX02'));
  await writeFile(first, `${text.trimEnd()}\n${later.join('\n')}\n`);
  await writeFile(second, await readFile(join(SAMPLES, 'MSGTRK2026112800-2.LOG')));
  return { first, second };
}

const domains = parseAcceptedDomains('contoso.com', 'test');

/** A run without a store (as `--no-store`): the finding for the refused recipient, and the run. */
async function withoutStore(paths: string[], tracked = TRACKED) {
  const found: Finding[] = [];
  const result = await analyze(await localInputs(paths), {
    domains,
    maxTrackedMessages: tracked,
    sink: { putFindings: async (findings) => found.push(...findings), putSource: async () => undefined },
  });
  return { finding: found.find((finding) => finding.recipient === REFUSED), result };
}

const FORGOTTEN = 'FORWARDING_EVIDENCE_FORGOTTEN';

describe('forwarding read too far apart for the classifier, in one run of several files', () => {
  it('is settled by the end-of-run correlation with the run’s other file, counted so on its record', async () => {
    const { first, second } = await twoServersLogs();
    // The premise: the classifier alone has forgotten the REDIRECT by the time it reads the refusal.
    expect((await withoutStore([first, second])).finding?.scenario).toBe('foreign-sender-domain');

    const { result, correlation } = await analyzeIntoStore(dynamo, await localInputs([first, second]), {
      domains,
      maxTrackedMessages: TRACKED,
    });

    const refused = correlation.ownReclassified.filter((finding) => finding.recipient === REFUSED);
    expect(refused).toHaveLength(1);
    const stored = await dynamo.store.getFinding(refused[0]?.id ?? '');
    expect(stored?.scenario).toBe('forwarding');
    expect(stored?.forwardedFrom).toEqual({ kind: 'received-for', address: 'kate@contoso.com' });
    expect(stored?.evidence.map((item) => item.detail).join('\n')).toContain('kate@contoso.com');
    // The run's counts and the refusal's own record say forwarding, once.
    const secondRecord = result.sources.find((source) =>
      source.file.endsWith(join('EX02', 'MSGTRK2026112800-1.LOG')),
    );
    expect(secondRecord?.findingsByScenario.forwarding).toBe(1);
    expect(result.findingsByScenario.forwarding).toBe(1);
    // Settled: no record says the evidence was forgotten.
    expect(result.sources.flatMap((source) => source.notes ?? []).map((note) => note.code)).not.toContain(
      FORGOTTEN,
    );
  });

  it('is noted on the refusal’s file by a run without a store, which cannot settle it', async () => {
    const { first, second } = await twoServersLogs();
    const { result } = await withoutStore([first, second]);
    const notes = result.sources.map((source) =>
      (source.notes ?? []).filter((note) => note.code === FORGOTTEN),
    );
    expect(notes[0]).toEqual([]);
    expect(notes[1]).toHaveLength(1);
    expect(notes[1]?.[0]?.message).toMatch(
      /^1 refusal read as foreign-sender-domain .* more than 10 messages before/,
    );
    // Remembering every message, the same run reads it as forwarding and notes nothing.
    const remembering = await withoutStore([first, second], 1_000);
    expect(remembering.finding?.scenario).toBe('forwarding');
    expect(remembering.result.sources.flatMap((source) => source.notes ?? [])).toEqual([]);
  });

  it('leaves a refusal in its own file to the classifier: one file alone is not correlated with itself', async () => {
    const { first } = await twoServersLogs();
    const { correlation } = await analyzeIntoStore(dynamo, await localInputs([first]), {
      domains,
      maxTrackedMessages: TRACKED,
    });
    expect(correlation.ownReclassified).toEqual([]);
  });
});
