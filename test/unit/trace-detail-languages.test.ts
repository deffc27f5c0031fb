/**
 * A message trace detail exported from an Exchange Online session in another language names its
 * events in that language (`Empfangen` for Receive in German). What a refusal counts as must not
 * depend on that word: a row holding a permanent relay refusal is its recipient's failure, so two
 * recipients' refusals stay two findings and explain the trace's two failed rows; a deferral
 * (4.x.x, retried) stays one refusal. Fixtures: test/fixtures/real-world/trace-detail-languages/
 * (described in its README.md).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayRejectionIn } from '../../functions/core/analysis/evidence/rejections.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { TraceFailures } from '../../functions/core/analysis/trace-failures.js';
import { type AnalysedFiles, analyseFiles as analyse } from '../support/analyse-files.js';
import { event } from '../support/events.js';

const DIR = 'test/fixtures/real-world/trace-detail-languages';
/** The word the fixtures' failed rows carry (see the README: the German word is not confirmed). */
const FAIL_WORD = 'Fehler';
/** The word the fixtures' deferred rows carry (not confirmed either). */
const DEFER_WORD = 'Zurückgestellt';
/** Words the same rows may carry in other sessions; `Fail` and `Defer` are the English exports. */
const FAIL_WORDS = [FAIL_WORD, 'Fehlgeschlagen', 'Échec', 'Fail'];
const DEFER_WORDS = [DEFER_WORD, 'Verzögert', 'Différé', 'Defer'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-languages-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let copies = 0;

/** A copy of fixture `name` whose `from` Event cells say `to`, under the same file name. */
async function withEvent(name: string, from: string, to: string): Promise<string> {
  const text = await readFile(join(DIR, name), 'utf8');
  expect(text).toContain(`;"${from}";`);
  copies++;
  const copy = join(dir, String(copies));
  await mkdir(copy);
  const file = join(copy, name);
  await writeFile(file, text.replaceAll(`;"${from}";`, `;"${to}";`));
  return file;
}

/** What a finding is compared by: its id (message, recipient or stand-in, code), line and recipient. */
function shape(findings: readonly Finding[]): [string, number, string][] {
  return findings.map((finding) => [finding.id, finding.source.line, finding.recipient]);
}

/** The `unexplainedFailures` of each file, by file name. */
function unexplained(sources: readonly SourceRecord[]): Record<string, number> {
  return Object.fromEntries(
    sources.flatMap((source) =>
      source.unexplainedFailures ? [[basename(source.file), source.unexplainedFailures]] : [],
    ),
  );
}

describe('a detail export without RecipientAddress, its Fail event in another language', () => {
  it('keeps two recipients’ refusals two findings, the same whatever word names the event', async () => {
    const runs = await Promise.all(
      FAIL_WORDS.map(async (word) =>
        analyse(await withEvent('detail-de-DE-two-recipients.csv', FAIL_WORD, word)),
      ),
    );
    const english = runs.at(-1) as AnalysedFiles;
    expect(english.findings.map((finding) => finding.source.line)).toEqual([3, 4]);
    for (const run of runs) {
      expect(run.status).toBe(0);
      expect(shape(run.findings)).toEqual(shape(english.findings));
      expect(run.sources[0]).toMatchObject({ rejections: 2 });
      expect(run.duplicates).toBe(0);
      expect(run.report).toContain('2 relay refusals → 2 findings');
    }
  });

  it('explains the trace’s two failed recipients: no "failed without a reason" note', async () => {
    const trace = join(DIR, 'trace-de-DE-two-recipients.csv');
    for (const word of FAIL_WORDS) {
      const run = await analyse(await withEvent('detail-de-DE-two-recipients.csv', FAIL_WORD, word), trace);
      expect(run.findings).toHaveLength(2);
      expect(unexplained(run.sources)).toEqual({});
      expect(run.report).not.toMatch(/failed in the [^,:]*(?:, which does not say why| without a reason)/);
    }
  });

  it('gives the one refusal the trace’s one failed recipient, and leaves no note', async () => {
    const trace = join(DIR, 'trace-de-DE-one-recipient.csv');
    for (const word of FAIL_WORDS) {
      const run = await analyse(await withEvent('detail-de-DE-one-recipient.csv', FAIL_WORD, word), trace);
      expect(run.findings.map((finding) => [finding.source.line, finding.recipient])).toEqual([
        [3, 'buyer@litware.com'],
      ]);
      expect(unexplained(run.sources)).toEqual({});
      expect(run.report).not.toMatch(/failed in the [^,:]*(?:, which does not say why| without a reason)/);
    }
  });
});

describe('a deferral in another language', () => {
  it('is one refusal however often it is retried, as in an English export', async () => {
    for (const word of DEFER_WORDS) {
      const run = await analyse(await withEvent('detail-de-DE-deferred.csv', DEFER_WORD, word));
      expect(run.findings.map((finding) => [finding.source.line, finding.scenario])).toEqual([
        [3, 'wrong-region'],
      ]);
      expect(run.sources[0]).toMatchObject({ rejections: 3 });
      expect(run.duplicates).toBe(2);
    }
  });

  it('explains no failed trace row (its retries would pass for several recipients); a failure does', () => {
    const ATTR35 = '451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35';
    const ATTR36 = '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36';
    const unexplainedWith = (eventId: string, text: string) => {
      const failures = new TraceFailures();
      const failed = event({ eventId: 'FAILED', messageId: 'M1@x', recipient: 'a@adatum.com' });
      const detail = event({ eventId, messageId: 'M1@x', recipientStatus: text });
      failures.see(failed, 'message-trace', 'trace', null);
      failures.see(detail, 'message-trace-detail', 'detail', relayRejectionIn(text) ?? null);
      return failures.unexplained().get('trace') ?? 0;
    };
    for (const word of DEFER_WORDS) expect(unexplainedWith(word.toUpperCase(), ATTR35)).toBe(1);
    for (const word of FAIL_WORDS) expect(unexplainedWith(word.toUpperCase(), ATTR36)).toBe(0);
  });
});
