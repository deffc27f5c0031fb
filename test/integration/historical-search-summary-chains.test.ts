/**
 * A historical search Enhanced summary names each recipient's events (`addr##Receive, Fail`) but
 * not why one failed. Microsoft documents that chain only by examples, not the order of its events,
 * so a `Fail` anywhere in it, or a `Defer` no `Send` or `Deliver` took on (a `451 4.4.62` ATTR35
 * deferral is a relay refusal), is a failure the report must call a possible relay refusal — never
 * "nothing to fix". The file is written as the EAC downloads it: UTF-16LE with a BOM.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FORMATS } from '../../functions/core/analysis/formats/index.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from '../support/capture-output.js';

const HEADER = [
  'origin_timestamp_utc',
  'sender_address',
  'recipient_status',
  'message_subject',
  'total_bytes',
  'message_id',
  'network_message_id',
  'original_client_ip',
  'directionality',
  'connector_id',
  'delivery_priority',
];
const MESSAGE_ID = '<a1@EX01.contoso.local>';

/** One summary row: app@contoso.com relayed through the on-premises connector to `recipientStatus`. */
function summaryRow(recipientStatus: string): string[] {
  return [
    '2026-11-28T08:05:13.9500000Z',
    'app@contoso.com',
    recipientStatus,
    'Invoice 4411',
    '100',
    MESSAGE_ID,
    'e507a7d7-1296-5c58-ac2c-b44696d43245',
    '203.0.113.25',
    'Originating',
    'Inbound from contoso on-premises',
    'Normal',
  ];
}

/** The summary CSV as the EAC downloads it: every cell quoted, CRLF, UTF-16LE with a BOM. */
function summaryFile(recipientStatus: string): Buffer {
  const line = (cells: string[]) => `${cells.map((cell) => `"${cell}"`).join(',')}\r\n`;
  return Buffer.from(`\uFEFF${line(HEADER)}${line(summaryRow(recipientStatus))}`, 'utf16le');
}

/** The event ids the summary reader gives the row's recipients. */
function eventIdsOf(recipientStatus: string): string[] {
  const format = FORMATS.find((candidate) => candidate.id === 'historical-search-summary');
  if (!format) throw new Error('historical-search-summary is not registered');
  const events: TraceEvent[] = [];
  const adapter = format.createRowAdapter(HEADER, {
    file: 'summary.csv',
    timestamps: new TimestampParser(),
    isRelevant: () => true,
  });
  adapter.adapt(summaryRow(recipientStatus), 2, {
    event: (event) => events.push(event),
    skip: (_line, reason) => {
      throw new Error(`row skipped: ${reason}`);
    },
  });
  return events.map((event) => event.eventId);
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-summary-chains-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `analyze <files> --accepted-domains contoso.com --no-store [--json]`: the exit status and the report. */
async function analyse(files: string[], ...options: string[]): Promise<{ status: number; report: string }> {
  const { status, out } = await cli(
    'analyze',
    ...files,
    '--accepted-domains',
    'contoso.com',
    '--no-store',
    ...options,
  );
  return { status, report: out.stderr };
}

/** The summary file's `unexplainedFailures` (undefined when it has none). */
async function unexplainedFailuresOf(recipientStatus: string): Promise<number | undefined> {
  const file = join(dir, 'summary.csv');
  await writeFile(file, summaryFile(recipientStatus));
  const { report } = await analyse([file], '--json');
  const { sources } = JSON.parse(report) as { sources: SourceRecord[] };
  expect(sources).toHaveLength(1);
  expect(sources[0]?.format).toBe('historical-search-summary');
  return sources[0]?.unexplainedFailures;
}

describe('a historical search summary recipient whose chain holds a failure', () => {
  it.each([
    ['x@adatum.com##Fail, Receive'],
    ['x@adatum.com##Receive, Fail'],
    ['x@adatum.com##Fail'],
    ['x@adatum.com##Receive, Defer'],
    ['x@adatum.com##Defer, Receive'],
    ['x@adatum.com##Receive, Defer, Fail'],
  ])('%s is a failed recipient without a reason', async (recipientStatus) => {
    expect(eventIdsOf(recipientStatus)).toEqual(['FAIL']);
    expect(await unexplainedFailuresOf(recipientStatus)).toBe(1);
  });

  it('is no all-clear in the report (##Fail, Receive, the event first)', async () => {
    const file = join(dir, 'summary.csv');
    await writeFile(file, summaryFile('x@adatum.com##Fail, Receive'));
    const { status, report } = await analyse([file]);
    expect(status).toBe(0);
    expect(report).not.toContain('nothing to fix');
    expect(report).toContain(
      'Next step: 1 message failed in the historical search summary, which does not say why: it may be a relay refusal.',
    );
  });

  it('counts each failed recipient of a row, and only those', () => {
    expect(
      eventIdsOf(
        'x@adatum.com##Defer, Receive;lee@contoso.com##Receive, Deliver;y@adatum.com##Fail, Receive',
      ),
    ).toEqual(['FAIL', 'DELIVER', 'FAIL']);
  });

  it('says nothing more once a detail export of the run gives the deferral: the 4.4.62 refusal', async () => {
    const summary = join(dir, 'summary.csv');
    const detail = join(dir, 'trace-detail.csv');
    await writeFile(summary, summaryFile('x@adatum.com##Receive, Defer'));
    await writeFile(
      detail,
      '"Date","MessageId","MessageTraceId","Event","Action","Detail","Data","RecipientAddress"\r\n' +
        `"2026-11-28T08:05:14Z","${MESSAGE_ID}","6f12","Defer","",` +
        '"Reason: [{LED=451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to https://go.microsoft.com/fwlink/?linkid=865268};{MSG=}]","","x@adatum.com"\r\n',
    );
    const { report } = await analyse([summary, detail], '--json');
    const { sources, findingsByScenario } = JSON.parse(report) as {
      sources: SourceRecord[];
      findingsByScenario: Record<string, number>;
    };
    expect(findingsByScenario['wrong-region']).toBe(1);
    expect(sources.map((source) => [source.format, source.unexplainedFailures])).toEqual([
      ['historical-search-summary', undefined],
      ['message-trace-detail', undefined],
    ]);
  });
});

describe('a historical search summary recipient whose mail was delivered', () => {
  it.each([
    ['x@adatum.com##Receive, Send', 'SEND'],
    ['lee@contoso.com##Receive, Deliver', 'DELIVER'],
    // Retried, then delivered: SMTP's normal course, whatever the deferral was.
    ['x@adatum.com##Receive, Defer, Send', 'SEND'],
    ['allstaff@contoso.com##Receive, Expand', 'EXPAND'],
  ])('%s is no failure (%s)', async (recipientStatus, eventId) => {
    expect(eventIdsOf(recipientStatus)).toEqual([eventId]);
    expect(await unexplainedFailuresOf(recipientStatus)).toBeUndefined();
  });

  it('leaves the report an all-clear (##Receive, Deliver)', async () => {
    const file = join(dir, 'summary.csv');
    await writeFile(file, summaryFile('lee@contoso.com##Receive, Deliver'));
    const { status, report } = await analyse([file]);
    expect(status).toBe(0);
    expect(report).toContain('Next step: nothing to fix in these files.');
  });
});
