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
async function withoutStore(paths: string[], tracked = TRACKED, windowEvents?: number) {
  const found: Finding[] = [];
  const result = await analyze(await localInputs(paths), {
    domains,
    maxTrackedMessages: tracked,
    windowEvents,
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

/**
 * The samples' two logs as one file sorted newest first (`Sort-Object Timestamp -Descending`), with
 * `between` receipts of other outside mail read between the refusal and the rows that show its
 * message arriving (another server's rows, in the per-server recipe).
 */
async function newestFirst(between: number): Promise<string> {
  const lines = async (name: string) =>
    (await readFile(join(SAMPLES, name), 'utf8'))
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\n');
  const [first, second] = await Promise.all([
    lines('MSGTRK2026112800-1.LOG'),
    lines('MSGTRK2026112800-2.LOG'),
  ]);
  const header = first.filter((line) => line.startsWith('#'));
  const rows = (all: string[]) => all.filter((line) => !line.startsWith('#')).reverse();
  const receipt = first.find((line) => line.includes(FORWARDED) && line.includes(',RECEIVE,')) as string;
  const others = Array.from({ length: between }, (_, n) =>
    receipt
      .replace(FORWARDED, `other-${n}@mail.fabrikam.com`)
      .replace('21583961239', String(32_000_000_000 + n)),
  );
  const path = join(dir, 'newest-first.LOG');
  await writeFile(path, `${[...header, ...rows(second), ...others, ...rows(first)].join('\n')}\n`);
  return path;
}

describe('forwarding evidence read after the refusal was classified (a file newest first)', () => {
  const LATE = 'FORWARDING_EVIDENCE_LATE';

  it('notes the refusal’s file with the window that would have held the evidence, which then does', async () => {
    const path = await newestFirst(40);
    const narrow = await withoutStore([path], 1_000, 10);
    expect(narrow.finding?.scenario).toBe('foreign-sender-domain');
    const notes = (narrow.result.sources[0]?.notes ?? []).filter((note) => note.code === LATE);
    expect(notes).toHaveLength(1);
    const suggested = Number(/--window (\d+)/.exec(notes[0]?.message ?? '')?.[1]);
    expect(notes[0]?.message).toMatch(/^1 refusal read as foreign-sender-domain was classified before rows/);
    expect(suggested).toBeGreaterThan(40);

    const wide = await withoutStore([path], 1_000, suggested);
    expect(wide.finding?.scenario).toBe('forwarding');
    expect(wide.result.sources[0]?.notes ?? []).toEqual([]);
  });

  it('says nothing of a file read oldest first, whatever the window', async () => {
    const { first, second } = await twoServersLogs();
    const { finding, result } = await withoutStore([first, second], 1_000, 10);
    expect(finding?.scenario).toBe('forwarding');
    expect(result.sources.flatMap((source) => source.notes ?? [])).toEqual([]);
  });
});

/**
 * The sender addressed the outside recipient itself, in an envelope of its own (an application that
 * sends one envelope per recipient under one Message-ID, through two relays): EX01 received the
 * message for kate@contoso.com, EX02 for kate@tailspintoys.com, whom Exchange Online refused. No
 * REDIRECT: nothing forwarded it, whatever the distance between the two logs.
 */
async function addressedDirectly(laterMessages: number): Promise<{ first: string; second: string }> {
  const text = (await readFile(join(SAMPLES, 'MSGTRK2026112800-1.LOG'), 'utf8')).replace(/^\uFEFF/, '');
  const lines = text.trimEnd().split('\n');
  const header = lines.filter((line) => line.startsWith('#'));
  const receipt = lines.find((line) => line.includes(FORWARDED) && line.includes(',RECEIVE,')) as string;
  const refusal = (await readFile(join(SAMPLES, 'MSGTRK2026112800-2.LOG'), 'utf8'))
    .split('\n')
    .find((line) => line.includes(FORWARDED) && line.includes(',FAIL,')) as string;
  const later = Array.from({ length: laterMessages }, (_, n) =>
    receipt
      .replace(FORWARDED, `later-${n}@mail.fabrikam.com`)
      .replace('21583961239', String(33_000_000_000 + n)),
  );
  const first = join(dir, 'EX01', 'MSGTRK2026112800-1.LOG');
  const second = join(dir, 'EX02', 'MSGTRK2026112800-1.LOG');
  await mkdir(join(dir, 'EX01'));
  await mkdir(join(dir, 'EX02'));
  await writeFile(first, `${[...header, receipt, ...later].join('\n')}\n`);
  await writeFile(
    second,
    `${[...header, receipt.replace('kate@contoso.com', REFUSED), refusal].join('\n')}\n`,
  );
  return { first, second };
}

describe('a refusal whose sender addressed the outside recipient itself, another server receiving it for an internal one', () => {
  for (const laterMessages of [3, LATER_MESSAGES]) {
    it(`stays foreign-sender-domain into a store, without a note (${laterMessages} messages between)`, async () => {
      const { first, second } = await addressedDirectly(laterMessages);
      const { result, correlation } = await analyzeIntoStore(dynamo, await localInputs([first, second]), {
        domains,
        maxTrackedMessages: TRACKED,
      });
      expect(correlation.ownReclassified).toEqual([]);
      expect(result.findingsByScenario).toMatchObject({ 'foreign-sender-domain': 1, forwarding: 0 });
      expect(result.sources.flatMap((source) => source.notes ?? [])).toEqual([]);
    });

    it(`stays foreign-sender-domain without a store, without a note (${laterMessages} messages between)`, async () => {
      const { first, second } = await addressedDirectly(laterMessages);
      const { finding, result } = await withoutStore([first, second]);
      expect(finding?.scenario).toBe('foreign-sender-domain');
      expect(result.sources.flatMap((source) => source.notes ?? [])).toEqual([]);
    });
  }

  it('gives no late-evidence note for the file sorted newest first either', async () => {
    const { first, second } = await addressedDirectly(0);
    const rows = async (path: string) =>
      (await readFile(path, 'utf8'))
        .trimEnd()
        .split('\n')
        .filter((line) => !line.startsWith('#'));
    const header = (await readFile(first, 'utf8')).split('\n').filter((line) => line.startsWith('#'));
    const receipt = (await rows(first))[0] as string;
    const others = Array.from({ length: 40 }, (_, n) =>
      receipt
        .replace(FORWARDED, `other-${n}@mail.fabrikam.com`)
        .replace('21583961239', String(34_000_000_000 + n)),
    );
    // EX02's rows newest first (the refusal, then its receipt), other mail, then EX01's receipt.
    const path = join(dir, 'newest-first-direct.LOG');
    await writeFile(
      path,
      `${[...header, ...(await rows(second)).reverse(), ...others, receipt].join('\n')}\n`,
    );
    const { finding, result } = await withoutStore([path], 1_000, 10);
    expect(finding?.scenario).toBe('foreign-sender-domain');
    expect(result.sources.flatMap((source) => source.notes ?? [])).toEqual([]);
  });

  it('gives no late-evidence note when one receipt row, read late, named both recipients', async () => {
    const { first, second } = await addressedDirectly(0);
    const lines = (await readFile(first, 'utf8')).trimEnd().split('\n');
    const header = lines.filter((line) => line.startsWith('#'));
    const receipt = lines.find((line) => !line.startsWith('#')) as string;
    // One envelope for both: the receipt row lists kate@contoso.com and the refused kate@tailspintoys.com.
    const both = receipt.replace('kate@contoso.com,To,', `kate@contoso.com;${REFUSED},To;To,`);
    expect(both).not.toBe(receipt);
    const refusal = (await readFile(second, 'utf8')).trimEnd().split('\n').at(-1) as string;
    const others = Array.from({ length: 40 }, (_, n) =>
      receipt
        .replace(FORWARDED, `other-${n}@mail.fabrikam.com`)
        .replace('21583961239', String(35_000_000_000 + n)),
    );
    const path = join(dir, 'newest-first-one-envelope.LOG');
    await writeFile(path, `${[...header, refusal, ...others, both].join('\n')}\n`);
    const { finding, result } = await withoutStore([path], 1_000, 10);
    expect(finding?.scenario).toBe('foreign-sender-domain');
    expect(result.sources.flatMap((source) => source.notes ?? [])).toEqual([]);
  });
});
