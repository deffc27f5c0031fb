/**
 * Culture dates whose day/month order is ambiguous (`10/11/2021 10:14:21 AM`) in a file read in
 * several invocations (ingest's continuations): each read goes on with what the earlier ones learnt
 * of the order (functions/core/analysis/input/timestamps.ts), a proof of the other order than rows
 * already handed on has the file read again from its start, the file gets one note of each kind,
 * and the store never lets a date read in an assumed order win over one read for sure
 * (functions/store/finding-merge.ts).
 */
import { describe, expect, it } from 'vitest';
import { type AnalysisInput, analyze, type FindingSink } from '../../functions/core/analysis/analyze.js';
import { TimestampParser, type TrackedEvent } from '../../functions/core/analysis/input/timestamps.js';
import { DATE_ORDER_ASSUMED_EVIDENCE, type Finding } from '../../functions/core/analysis/model/findings.js';
import {
  newSourceRecord,
  type ResumePoint,
  type SourceRecord,
} from '../../functions/core/analysis/model/source-record.js';
import { resumeAt } from '../../functions/core/analysis/resume-tracker.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { mergeFindings } from '../../functions/store/finding-merge.js';
import { enAuExport, exportLines } from '../support/day-first-export.js';
import { makeFinding } from '../support/make-finding.js';

/** Parses `rows` (line, value) and tracks one event per row, as a reader does. */
function read(parser: TimestampParser, rows: [number, string][]): TrackedEvent[] {
  return rows.map(([line, raw]) => {
    const event: TrackedEvent = { timestamp: parser.parse(raw, line) as string, line };
    parser.track(event);
    return event;
  });
}

/** en-AU rows of 10–12 November, read month-first (AM/PM) until a date settles it. */
const AMBIGUOUS: [number, string][] = [
  [3, '10/11/2021 10:14:21 AM'],
  [4, '10/11/2021 10:14:22 AM'],
  [5, '12/11/2021 4:40:05 PM'],
  [6, '12/11/2021 4:40:06 PM'],
];

describe('a file read in several invocations: the date order learnt so far goes on', () => {
  it('marks the events handed on with an assumed order, not those a proof re-dated', () => {
    const parser = new TimestampParser();
    const [handedOn] = read(parser, [[3, '10/11/2021 10:14:21 AM']]);
    parser.release();
    const [redated] = read(parser, [[4, '10/11/2021 10:14:22 AM']]);
    parser.parse('13/11/2021 2:05:08 PM', 5);
    parser.release();
    // Culture dates have no zone: every event of them is marked so (the store prefers a zoned reading).
    expect(handedOn).toEqual({
      timestamp: '2021-10-11T10:14:21.000Z',
      line: 3,
      dateOrderAssumed: true,
      timeZoneAssumed: true,
    });
    expect(redated).toEqual({ timestamp: '2021-11-10T10:14:22.000Z', line: 4, timeZoneAssumed: true });
  });

  it('says once, for the whole file, that the order was assumed, however many reads it took', () => {
    const whole = new TimestampParser();
    read(whole, AMBIGUOUS);
    whole.release();

    const first = new TimestampParser();
    read(first, AMBIGUOUS.slice(0, 3));
    first.release(); // stopped at the deadline: handed on as dated
    const state = first.state();
    expect(state?.assumed).toMatchObject({ rows: 3, firstLine: 3, lastLine: 5, order: 'month-first' });
    // The next read starts before its counted rows (to refill the classifier) and reads line 4 and 5 again.
    const next = new TimestampParser({}, { state, countFrom: 6 });
    const events = read(next, AMBIGUOUS.slice(1));
    next.release();
    expect(events.map((event) => event.timestamp)).toEqual([
      '2021-10-11T10:14:22.000Z',
      '2021-12-11T16:40:05.000Z',
      '2021-12-11T16:40:06.000Z',
    ]);
    expect(next.notes()).toEqual(whole.notes());
    expect(next.notes()[0]?.message).toMatch(/^4 dates \(lines 3–6\) could be day-first or month-first/);
  });

  it('reads on in the order an earlier read proved', () => {
    const first = new TimestampParser();
    read(first, [[3, '13/11/2021 2:05:08 PM']]);
    const next = new TimestampParser({}, { state: first.state(), countFrom: 4 });
    expect(read(next, [[4, '10/11/2021 10:14:21 AM']])).toEqual([
      { timestamp: '2021-11-10T10:14:21.000Z', line: 4, timeZoneAssumed: true },
    ]);
    expect(next.waiting).toBe(false);
    expect(next.mustReread).toBe(false);
  });

  it('asks for the file again from its start when a proof shows rows handed on earlier were misread', () => {
    const first = new TimestampParser();
    read(first, AMBIGUOUS.slice(0, 2));
    first.release();
    const next = new TimestampParser({}, { state: first.state(), countFrom: 5 });
    read(next, AMBIGUOUS.slice(2));
    expect(next.mustReread).toBe(false);
    next.parse('13/11/2021 2:05:08 PM', 7);
    expect(next.mustReread).toBe(true);
    // Only the proof goes on: the read from the start counts every row again.
    const state = next.state();
    expect(state).toEqual({
      proof: { order: 'day-first', line: 7, value: '13/11/2021 2:05:08 PM' },
      reread: true,
    });
    const again = new TimestampParser({}, { state, countFrom: 3 });
    expect(read(again, AMBIGUOUS.slice(0, 1))).toEqual([
      { timestamp: '2021-11-10T10:14:21.000Z', line: 3, timeZoneAssumed: true },
    ]);
    again.release();
    expect(again.notes()).toEqual([]);
    expect(again.mustReread).toBe(false);
  });

  it('goes on without reading again when the proof confirms the order rows were handed on in', () => {
    const first = new TimestampParser();
    read(first, [[3, '3/9/2021 10:14:21 AM']]); // en-US, assumed month-first
    first.release();
    const next = new TimestampParser({}, { state: first.state(), countFrom: 4 });
    next.parse('3/15/2021 10:14:21 AM', 4);
    expect(next.mustReread).toBe(false);
    next.release();
    expect(next.notes()).toEqual([]);
  });
});

describe('the resume point of a stopped read', () => {
  const point: ResumePoint = {
    fromLine: 3,
    fromByte: 100,
    headBytes: 100,
    countFrom: 3,
    emitFrom: 1,
    releasedOnLine: 0,
    compressed: false,
    continuations: 2,
  };

  function counted(): SourceRecord {
    const record = newSourceRecord('source-1', 'incoming/x.csv', new Date('2026-11-28T10:00:00Z'));
    Object.assign(record, { rowsRead: 90, rowsAnalysed: 90, events: 90, rejections: 30, bytes: 60_000 });
    record.findingsByScenario = { 'connector-mismatch': 30 };
    record.notes = [
      { code: 'FIELD_SET_CHANGED', message: 'line 40: a new header row' },
      { code: 'DATE_ORDER_ASSUMED', message: '88 dates (lines 3–90) could be day-first or month-first' },
    ];
    return record;
  }

  it('leaves the notes on dates to the read that ends the file (the point carries what they say)', () => {
    const record = counted();
    resumeAt(record, { ...point, countFrom: 93 });
    expect(record.notes?.map((note) => note.code)).toEqual(['FIELD_SET_CHANGED']);
    expect(record.rowsRead).toBe(90);
  });

  it('starts the counts over when the file is to be read again from its start', () => {
    const record = counted();
    const again = {
      ...point,
      dates: {
        proof: { order: 'day-first' as const, value: '13/11/2021 2:05:08 PM' },
        reread: true as const,
      },
    };
    resumeAt(record, again);
    expect(record).toEqual({
      ...newSourceRecord('source-1', 'incoming/x.csv', new Date('2026-11-28T10:00:00Z')),
      resume: again,
    });
  });
});

describe('a date read in an assumed order, in the store', () => {
  const sure = makeFinding({ messageId: 'm1@EX01.contoso.local', timestamp: '2021-11-10T10:14:22.000Z' });
  const assumed = makeFinding({
    messageId: 'm1@EX01.contoso.local',
    timestamp: '2021-10-11T10:14:22.000Z', // 10/11 read month-first: a month too early
    evidence: [...sure.evidence, { ...DATE_ORDER_ASSUMED_EVIDENCE }],
  });

  it('never wins the timestamp over a date read for sure, earlier or not, in either order', () => {
    for (const merged of [mergeFindings(sure, assumed), mergeFindings(assumed, sure)]) {
      expect(merged.timestamp).toBe(sure.timestamp);
      expect(merged.evidence).toEqual(sure.evidence);
    }
    const later = { ...assumed, timestamp: '2021-12-11T14:05:08.000Z' };
    expect(mergeFindings(later, sure).timestamp).toBe(sure.timestamp);
  });

  it('keeps the earlier of two assumed dates, still marked', () => {
    const other = { ...assumed, timestamp: '2021-10-12T10:14:22.000Z' };
    const merged = mergeFindings(other, assumed);
    expect(merged.timestamp).toBe(assumed.timestamp);
    expect(merged.evidence.filter((item) => item.kind === DATE_ORDER_ASSUMED_EVIDENCE.kind)).toHaveLength(1);
  });

  it('takes the sure date into the kept reading when the reading with the assumed date is the stronger', () => {
    // The other reading lacks the envelope sender: the stored one read all it read, and more.
    const { returnPath: _lacking, ...weak } = { ...sure, confidence: 'low' as const };
    const merged = mergeFindings(assumed, weak);
    expect(merged.confidence).toBe('high');
    expect(merged.timestamp).toBe(sure.timestamp);
    expect(merged.evidence.some((item) => item.kind === DATE_ORDER_ASSUMED_EVIDENCE.kind)).toBe(false);
  });
});

/** Keeps the findings of each write merged as the store merges them. */
class MergingSink implements FindingSink {
  public readonly findings = new Map<string, Finding>();
  public async putFindings(findings: Finding[]): Promise<void> {
    for (const finding of findings) {
      const stored = this.findings.get(finding.id);
      this.findings.set(finding.id, stored === undefined ? finding : mergeFindings(stored, finding));
    }
  }
  public async putSource(): Promise<void> {}
}

const ANALYSIS = { windowEvents: 20, maxTrackedMessages: 10 };
const domains = () => parseAcceptedDomains('contoso.com', 'test');

function chunks(buffer: Buffer): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let at = 0; at < buffer.length; at += 64 * 1024) yield buffer.subarray(at, at + 64 * 1024);
  })();
}

async function onePass(file: Buffer): Promise<{ sink: MergingSink; record: SourceRecord }> {
  const sink = new MergingSink();
  const result = await analyze([{ name: 'export.csv', sourceId: 'source-1', open: () => chunks(file) }], {
    domains: domains(),
    sink,
    ...ANALYSIS,
  });
  return { sink, record: result.sources[0] as SourceRecord };
}

/** `file` analysed in invocations that each stop after `batches` batches, as ingest's continuations. */
async function inInvocations(file: Buffer, batches: number) {
  const sink = new MergingSink();
  let record: SourceRecord | undefined;
  const points: ResumePoint[] = [];
  for (;;) {
    let checks = 0;
    const point = record?.resume;
    const input: AnalysisInput = {
      name: 'export.csv',
      sourceId: 'source-1',
      open: () =>
        chunks(
          point === undefined
            ? file
            : Buffer.concat([file.subarray(0, point.headBytes), file.subarray(point.fromByte)]),
        ),
      ...(point === undefined
        ? {}
        : { resume: { record: record as SourceRecord & { resume: ResumePoint }, sliced: true } }),
    };
    const result = await analyze([input], {
      domains: domains(),
      sink,
      ...ANALYSIS,
      shouldStop: () => ++checks > batches,
    });
    record = result.sources[0] as SourceRecord;
    if (!result.stopped) return { sink, record, points };
    expect(record.resume, 'a stopped read of an export takes a resume point').toBeDefined();
    points.push(record.resume as ResumePoint);
    expect(points.length).toBeLessThan(200);
  }
}

function timestamps(sink: MergingSink): Map<string, string> {
  return new Map([...sink.findings].map(([id, finding]) => [id, finding.timestamp]));
}

function marked(sink: MergingSink): number {
  return [...sink.findings.values()].filter((finding) =>
    finding.evidence.some((item) => item.kind === DATE_ORDER_ASSUMED_EVIDENCE.kind),
  ).length;
}

describe('an export whose day/month order only its last row settles, read in several invocations', () => {
  const COPIES = 250;

  it('gives the findings of one pass: read again from the start once the order is proved', async () => {
    const file = enAuExport(COPIES, { settled: true });
    const reference = await onePass(file);
    const { sink, record, points } = await inInvocations(file, 4);
    expect(points.filter((point) => point.dates?.reread)).toHaveLength(1);
    expect(points.length).toBeGreaterThan(4);
    expect(reference.sink.findings.size).toBe(2 * COPIES);
    expect(timestamps(sink)).toEqual(timestamps(reference.sink));
    expect(marked(sink)).toBe(0);
    expect(record.status).toBe('done');
    for (const field of ['rowsRead', 'rowsAnalysed', 'rowsSkipped', 'events', 'rejections'] as const)
      expect(record[field], field).toBe(reference.record[field]);
    expect(record.findingsByScenario).toEqual(reference.record.findingsByScenario);
    expect(record.notes).toEqual(reference.record.notes);
  });

  it('without a date that settles it: one note for the whole file, as one pass', async () => {
    const file = enAuExport(COPIES, { settled: false });
    const reference = await onePass(file);
    const { sink, record, points } = await inInvocations(file, 4);
    expect(points.length).toBeGreaterThan(4);
    expect(timestamps(sink)).toEqual(timestamps(reference.sink));
    expect(marked(sink)).toBe(2 * COPIES);
    expect(record.notes).toEqual(reference.record.notes);
    const { first, last } = exportLines(COPIES);
    expect(record.notes?.map((note) => note.code)).toEqual(['DATE_ORDER_ASSUMED']);
    // Of each copy's six dates, those of 11 November (11/11/2021) are the same either way.
    expect(record.notes?.[0]?.message).toMatch(
      new RegExp(`^${4 * COPIES} dates \\(lines ${first}–${last}\\) could be day-first or month-first`),
    );
  });
});
