/**
 * A message trace detail exported without RecipientAddress, opened in Excel and saved again: Excel
 * writes the dates without seconds (`28.11.2026 22:15`), so two recipients' failed rows of one
 * message can no longer be told apart by their time. Their `{LRT=…}` in `Detail` still gives the
 * second: they stay two refusals, and the same rows read again (an overlapping copy) stay one each.
 * When the LRT names the row's minute, its second is the one the original export had: the original and
 * the copy analysed together count each refusal once. Rows read with their seconds keep the ids they
 * always had. Fixtures:
 * test/fixtures/real-world/trace-detail-languages/ (described in its README.md).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secondOfSameMinute } from '../../functions/core/analysis/formats/message-trace-detail.js';
import { analyseFiles as analyse } from '../support/analyse-files.js';

const DIR = 'test/fixtures/real-world/trace-detail-languages';
const RESAVED = join(DIR, 'detail-de-DE-two-recipients-excel.csv');
const ORIGINAL = join(DIR, 'detail-de-DE-two-recipients.csv');
const TRACE = join(DIR, 'trace-de-DE-two-recipients.csv');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-excel-resave-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of `file` named `name`, each `from` replaced by `to` (which must occur). */
async function rewritten(file: string, name: string, from: string | RegExp, to: string): Promise<string> {
  const text = await readFile(file, 'utf8');
  const changed = text.replaceAll(from, to);
  expect(changed).not.toBe(text);
  const copy = join(dir, name);
  await writeFile(copy, changed);
  return copy;
}

describe('a trace detail without recipients, saved again from Excel (dates without seconds)', () => {
  it('keeps the two recipients’ refusals of one minute two findings', async () => {
    const text = await readFile(RESAVED, 'utf8');
    // The shape the fix is for: both failed rows at the same minute, with the same reply.
    expect(text.match(/;28\.11\.2026 22:15;Fehler;/g)).toHaveLength(2);
    const run = await analyse(RESAVED);
    expect(run.status).toBe(0);
    expect(run.findings.map((finding) => [finding.source.line, finding.recipient])).toEqual([
      [3, ''],
      [4, ''],
    ]);
    expect(new Set(run.findings.map((finding) => finding.id)).size).toBe(2);
    expect(run.duplicates).toBe(0);
    expect(run.report).toContain('2 relay refusals → 2 findings');
  });

  it('does the same with the dates Excel en-US writes (`11/28/2026 22:15`)', async () => {
    const copy = await rewritten(RESAVED, 'en-US.csv', /28\.11\.2026 22:15(?=;)/g, '11/28/2026 22:15');
    const run = await analyse(copy);
    expect(run.findings.map((finding) => finding.source.line)).toEqual([3, 4]);
    expect(run.duplicates).toBe(0);
  });

  it('counts the same rows read again once (an overlapping copy)', async () => {
    const copy = join(dir, 'copy.csv');
    await writeFile(copy, await readFile(RESAVED));
    const alone = await analyse(RESAVED);
    const run = await analyse(RESAVED, copy);
    expect(run.findings.map((finding) => finding.id)).toEqual(alone.findings.map((finding) => finding.id));
    expect(run.duplicates).toBe(2);
    expect(run.report).toContain('4 relay refusals → 2 findings');
  });

  it('explains the trace’s two failed recipients: no "failed without a reason" note', async () => {
    const run = await analyse(RESAVED, TRACE);
    expect(run.findings).toHaveLength(2);
    expect(run.sources.filter((source) => source.unexplainedFailures)).toEqual([]);
    expect(run.report).not.toMatch(/failed in the [^,:]*(?:, which does not say why| without a reason)/);
  });

  it('merges rows of one minute that nothing tells apart (no LRT): one refusal, as before', async () => {
    const copy = await rewritten(RESAVED, 'no-lrt.csv', /\{LRT=[^}]*\}/g, '{LRT=}');
    const run = await analyse(copy);
    expect(run.findings.map((finding) => finding.source.line)).toEqual([3]);
    expect(run.duplicates).toBe(1);
  });
});

describe('secondOfSameMinute: the second an LRT gives a row saved without seconds', () => {
  it.each([
    ['de-DE', '28.11.2026 22:15', '28.11.2026 22:15:03', 3],
    ['en-US, Excel in 24 hours and the LRT with PM', '11/28/2026 22:15', '11/28/2026 10:15:07 PM', 7],
    ['fi-FI, dots in the time', '28.11.2026 22.15', '28.11.2026 22.15.09', 9],
    ['ko-KR, the day half first', '2026-11-28 오후 10:15', '2026-11-28 오후 10:15:42', 42],
    [
      'de-DE dates, the LRT in en-US (an English account on a German PC)',
      '28.11.2026 22:15',
      '11/28/2026 10:15:03 PM',
      3,
    ],
    ['a two-digit year', '28.11.26 22:15', '28.11.2026 22:15:05', 5],
  ] as const)('reads it in %s', (_culture, date, lastRetry, second) => {
    expect(secondOfSameMinute(date, lastRetry)).toBe(second);
  });

  it.each([
    ['another minute', '28.11.2026 22:15', '28.11.2026 22:14:03'],
    ['another hour', '28.11.2026 22:15', '28.11.2026 21:15:03'],
    ['another day', '28.11.2026 22:15', '27.11.2026 22:15:03'],
    ['another day in another culture', '28.11.2026 22:15', '11/27/2026 10:15:03 PM'],
    ['an LRT without seconds', '28.11.2026 22:15', '28.11.2026 22:15'],
    ['a row that has its seconds', '28.11.2026 22:15:01', '28.11.2026 22:15:03'],
    ['no time in the LRT', '28.11.2026 22:15', 'gestern'],
  ] as const)('gives none for %s', (_case, date, lastRetry) => {
    expect(secondOfSameMinute(date, lastRetry)).toBeUndefined();
  });
});

describe('the original export and its Excel copy analysed together', () => {
  it('count each refusal once, under the ids of the original (the LRT gives the lost second)', async () => {
    const original = await analyse(ORIGINAL);
    const run = await analyse(ORIGINAL, RESAVED);
    expect(run.findings.map((finding) => finding.id)).toEqual(original.findings.map((finding) => finding.id));
    expect(run.duplicates).toBe(2);
    expect(run.report).toContain('4 relay refusals → 2 findings');
    // Read alone, the copy gives the same ids too: a store that holds the original counts it once.
    const copy = await analyse(RESAVED);
    expect(copy.findings.map((finding) => finding.id)).toEqual(
      original.findings.map((finding) => finding.id),
    );
  });

  it('do so with en-US times: `10:15:03 PM` in the export and its LRT, `22:15` from Excel', async () => {
    const toEnUs = (text: string) => text.replaceAll(/28\.11\.2026 22:15:(\d\d)/g, '11/28/2026 10:15:$1 PM');
    const originalCopy = join(dir, 'original-en-US.csv');
    await writeFile(originalCopy, toEnUs(await readFile(ORIGINAL, 'utf8')));
    const excelCopy = join(dir, 'excel-en-US.csv');
    await writeFile(
      excelCopy,
      toEnUs(await readFile(RESAVED, 'utf8')).replaceAll(/28\.11\.2026 22:15(?=;)/g, '11/28/2026 22:15'),
    );
    const run = await analyse(originalCopy, excelCopy);
    expect(run.findings.map((finding) => finding.source.line)).toEqual([3, 4]);
    expect(run.duplicates).toBe(2);
  });

  it('keep two recipients apart whose LRTs share a second but not a minute', async () => {
    const copy = await rewritten(
      RESAVED,
      'other-minute.csv',
      '{LRT=28.11.2026 22:15:04}',
      '{LRT=28.11.2026 22:14:03}',
    );
    const run = await analyse(copy);
    expect(new Set(run.findings.map((finding) => finding.id)).size).toBe(2);
    expect(run.duplicates).toBe(0);
  });
});

describe('the export read with its seconds', () => {
  it('gives ids that do not depend on the LRT: the ids stored for it stay', async () => {
    const original = await analyse(ORIGINAL);
    const otherLrt = await analyse(
      await rewritten(
        ORIGINAL,
        'other-lrt.csv',
        /\{LRT=28\.11\.2026 22:15:0(\d)\}/g,
        '{LRT=28.11.2026 21:59:5$1}',
      ),
    );
    expect(original.findings.map((finding) => finding.source.line)).toEqual([3, 4]);
    expect(otherLrt.findings.map((finding) => finding.id)).toEqual(
      original.findings.map((finding) => finding.id),
    );
  });
});
