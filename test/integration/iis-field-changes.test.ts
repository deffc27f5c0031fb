/**
 * An IIS SMTP service log whose field selection changed inside the file: IIS appends a new
 * `#Software`/`#Version`/`#Date`/`#Fields:` block when the Extended Properties are changed (and the
 * same block when the service restarts), and the rows after it follow its fields. Each block is read
 * by its own `#Fields:` line; the rows under one that lacks what reading needs (the default
 * selection) are skipped, each naming that line, and a refusal among them fails the file.
 * Fixtures: test/fixtures/real-world/iis-field-changes/ (its README).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/iis-field-changes';

const fixture = (name: string) => readFile(`${DIR}/${name}`, 'utf8');

const analyse = async (content: string, name = 'SMTPSVC1/ex261128.log') => {
  const { findings, sources } = await analyzeFiles([{ name, content }], { accepted: 'contoso.com' });
  return { findings, source: sources[0] as SourceRecord };
};

const said = (findings: readonly Finding[]) =>
  findings.map((f) => [f.scenario, f.returnPath, f.recipient, f.messageId].join(' | '));

/** Read = analysed + skipped, every skip with its reason. */
function accounted(source: SourceRecord): void {
  expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
  const byReason = Object.values(source.skippedByReason).reduce((sum, count) => sum + count, 0);
  expect(byReason).toBe(source.rowsSkipped);
}

/** The file with the blocks from the `#Software:` line before `fromLine`'s `#Fields:` on cut out. */
const blocksFrom = (text: string, fromLine: number, toLine?: number) =>
  text
    .split('\r\n')
    .filter((_, at) => at + 1 < fromLine - 3 || (toLine !== undefined && at + 1 >= toLine - 3))
    .join('\r\n');

describe('an IIS SMTP log whose Extended Properties were enabled mid-day', () => {
  it('reads the blocks after the default one by their own fields and finds their refusals', async () => {
    const { findings, source } = await analyse(await fixture('ex261128-fields-added.log'));
    expect(source.status).toBe('done');
    expect(source.format).toBe('iis-smtp-log');
    expect(said(findings)).toEqual([
      'connector-mismatch | scans@contoso.com | orders@fourthcoffee.com | iis:RELAY02:52.101.1.1@2026-11-28T10:20:02.000Z#1',
      'ndr |  | jobs@adventure-works.com | iis:RELAY02:52.101.1.1@2026-11-28T10:25:40.000Z#1',
      'foreign-sender-domain | app@fabrikam.com | vendor@adatum.com | iis:RELAY02:52.101.2.2@2026-11-28T14:05:31.000Z#1',
    ]);
    expect(findings.map((f) => f.source.line)).toEqual([47, 54, 70]);
  });

  it('skips each default-set row naming its #Fields: line, and notes the block', async () => {
    const { source } = await analyse(await fixture('ex261128-fields-added.log'));
    accounted(source);
    expect(source.rowsRead).toBe(59);
    expect(source.skippedByReason).toEqual({ MISSING_FIELD: 28 });
    expect(source.skipped[0]).toMatchObject({ line: 5, reason: 'MISSING_FIELD' });
    expect(source.skipped[0]?.message).toContain(
      'its #Fields: line (line 4) lacks cs-username, cs-uri-query',
    );
    expect(source.skipped.at(-1)?.line).toBe(32);
    const note = source.notes?.find((each) => each.code === 'FIELD_SET_UNKNOWN');
    expect(note?.message).toContain('line 4 (rows on lines 5–32) lacks cs-username, cs-uri-query');
  });

  it('gives the findings of the log without its default-set block', async () => {
    const text = await fixture('ex261128-fields-added.log');
    const whole = await analyse(text);
    const extended = await analyse(blocksFrom(text, 4, 36));
    expect(extended.source.rowsSkipped).toBe(0);
    expect(said(whole.findings)).toEqual(said(extended.findings));
    expect(whole.findings.map((f) => f.id)).toEqual(extended.findings.map((f) => f.id));
  });

  it('still refuses a log of the default selection alone, as before', async () => {
    const text = await fixture('ex261128-fields-added.log');
    const { source, findings } = await analyse(blocksFrom(text, 36));
    expect(findings).toEqual([]);
    expect(source.status).toBe('failed');
    expect(source.errorCode).toBe('UNKNOWN_FORMAT');
    expect(source.errorMessage).toContain('whose #Fields: lack cs-username, cs-uri-query');
  });
});

describe('an IIS SMTP log whose field selection was cut down', () => {
  it('reads a trimmed selection by its own fields, and skips the default one after it', async () => {
    const { findings, source } = await analyse(await fixture('ex261129-fields-trimmed.log'), 'ex261129.log');
    expect(source.status).toBe('done');
    expect(said(findings)).toEqual([
      'connector-mismatch | scans@contoso.com | orders@fourthcoffee.com | iis:RELAY02:52.101.1.1@2026-11-29T09:10:02.000Z#1',
      // s-computername is no longer logged: the stand-in id names the relay's EHLO name and the MAIL FROM.
      'foreign-sender-domain | app@fabrikam.com | ap@northwindtraders.com | iis:ehlo=relay02.contoso.local:52.101.2.2@2026-11-29T12:40:02.000Z#1;from=app@fabrikam.com',
    ]);
    accounted(source);
    expect(source.skippedByReason).toEqual({ MISSING_FIELD: 14 });
    expect(source.skipped.map((row) => row.line)).toEqual(Array.from({ length: 14 }, (_, at) => 34 + at));
    expect(source.skipped[0]?.message).toContain('(line 33)');
    expect(source.notes?.map((note) => note.code)).toEqual(['FIELD_SET_UNKNOWN']);
  });

  it('fails the file for a refusal under a selection without cs-username, naming the lines', async () => {
    const { findings, source } = await analyse(
      await fixture('ex261130-user-name-unticked.log'),
      'ex261130.log',
    );
    expect(source.status).toBe('failed');
    expect(source.errorCode).toBe('REFUSAL_NOT_READ');
    expect(source.errorMessage).toContain('line 28 could not be read');
    expect(source.errorMessage).toContain('its #Fields: line (line 20) lacks cs-username');
    // The refusal of the block before is still reported.
    expect(findings.map((f) => f.recipient)).toEqual(['orders@fourthcoffee.com']);
    accounted(source);
  });

  it('names the first two lacking #Fields: lines in its note and counts the others', async () => {
    const text = await fixture('ex261129-fields-trimmed.log');
    const lines = text.split('\r\n');
    // The default block (lines 30–47) repeated after two more restarts.
    const defaultBlock = lines.slice(29, 47);
    const { source } = await analyse(
      `${[...lines.slice(0, 47), ...defaultBlock, ...defaultBlock].join('\r\n')}\r\n`,
    );
    const note = source.notes?.find((each) => each.code === 'FIELD_SET_UNKNOWN');
    expect(note?.message).toMatch(
      /^the rows under 3 #Fields: lines are not read: line 33 \(rows on lines 34–47\)/,
    );
    expect(note?.message).toContain('line 51 (rows on lines 52–65) lacks cs-username, cs-uri-query; 1 more.');
    expect(source.rowsSkipped).toBe(42);
  });
});

describe('an IIS SMTP log whose default-set block is longer than the head its format is told from', () => {
  const LONG = 'ex261127-long-default-block.log';

  it('is read by its later #Fields: line: the default-set rows skipped, the refusals after found', async () => {
    const { findings, source } = await analyse(await fixture(LONG), 'SMTPSVC1/ex261127.log');
    expect(source.status).toBe('done');
    expect(source.format).toBe('iis-smtp-log');
    expect(said(findings)).toEqual([
      'connector-mismatch | scans@contoso.com | orders@fourthcoffee.com | iis:RELAY02:52.101.1.1@2026-11-27T10:20:02.000Z#1',
      'ndr |  | jobs@adventure-works.com | iis:RELAY02:52.101.1.1@2026-11-27T10:25:40.000Z#1',
    ]);
    accounted(source);
    expect(source.skippedByReason).toEqual({ MISSING_FIELD: 420 });
    expect(source.skipped[0]?.message).toContain(
      'its #Fields: line (line 4) lacks cs-username, cs-uri-query',
    );
    const note = source.notes?.find((each) => each.code === 'FIELD_SET_UNKNOWN');
    expect(note?.message).toContain('line 4 (rows on lines 5–424) lacks cs-username, cs-uri-query');
  });

  it('is refused at its end when no #Fields: line of it has the fields, as a short one is at once', async () => {
    const text = await fixture(LONG);
    const { findings, source } = await analyse(blocksFrom(text, 428), 'SMTPSVC1/ex261127.log');
    expect(findings).toEqual([]);
    expect(source.status).toBe('failed');
    expect(source.errorCode).toBe('UNKNOWN_FORMAT');
    expect(source.errorMessage).toContain(
      'whose #Fields: lack cs-username, cs-uri-query (line 4), and no #Fields: line of the file has them',
    );
    expect(source.errorMessage).toContain('Extended Properties');
  });
});
