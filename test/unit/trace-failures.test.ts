/**
 * Which failures a trace names without their reason stay unexplained (`unexplainedFailures`): a
 * reason explains only its own message and recipient, from any format, in any order of the files.
 */
import { describe, expect, it } from 'vitest';
import { relayRejectionIn } from '../../functions/core/analysis/evidence/rejections.js';
import type { FormatId, TraceEvent } from '../../functions/core/analysis/model/events.js';
import { MAX_TRACE_FAILURES, TraceFailures } from '../../functions/core/analysis/trace-failures.js';
import { ATTR36, event } from '../support/events.js';

const NOT_FOUND = 'Reason: [{LED=550 5.1.10 RESOLVER.ADR.RecipientNotFound}]';

interface Row {
  event: TraceEvent;
  format: FormatId;
  source: string;
}

/** A message trace row (no error text), by default `Failed`. */
function traced(recipient: string | undefined, fields: Partial<TraceEvent> = {}, source = 'trace'): Row {
  const row = event({ eventId: 'FAILED', messageId: 'M1@x', messageTraceId: 't-1', ...fields });
  if (recipient !== undefined) row.recipient = recipient;
  return { event: row, format: 'message-trace', source };
}

/** A trace detail row: its event and, when given, its Detail text. */
function detail(
  eventId: string,
  recipient: string | undefined,
  text?: string,
  fields: Partial<TraceEvent> = {},
): Row {
  const row = event({ eventId, messageId: 'M1@x', messageTraceId: 't-1', ...fields });
  if (recipient !== undefined) row.recipient = recipient;
  if (text !== undefined) row.recipientStatus = text;
  return { event: row, format: 'message-trace-detail', source: 'detail' };
}

/** A tracking log's relay refusal of a message and recipient. */
function tracked(messageId: string, recipient: string, eventId = 'FAIL'): Row {
  const row = event({ eventId, messageId, recipient, recipientStatus: ATTR36, source: 'SMTP' });
  return { event: row, format: 'exchange-tracking-log', source: 'log' };
}

function unexplained(
  rows: readonly Row[],
  open?: { sourceId: string; fromLine: number },
): Record<string, number> {
  const failures = new TraceFailures();
  for (const row of rows) {
    const rejection = relayRejectionIn(row.event.recipientStatus) ?? null;
    failures.see(row.event, row.format, row.source, rejection);
  }
  return Object.fromEntries(failures.unexplained(open));
}

describe('TraceFailures', () => {
  it('counts a failed recipient no row explains, once per message', () => {
    expect(unexplained([traced('a@adatum.com'), traced('b@adatum.com')])).toEqual({ trace: 1 });
    expect(unexplained([traced('a@adatum.com', { eventId: 'DELIVERED' })])).toEqual({});
  });

  it("is not explained by another recipient's receipt and delivery (hunt6 defect 2)", () => {
    const rows = [
      traced('lee@contoso.com', { eventId: 'DELIVERED' }),
      traced('vendor@adatum.com'),
      detail('RECEIVE', 'lee@contoso.com', 'Message received by: AM0PR01MB1234'),
      detail('DELIVER', 'lee@contoso.com', 'The message was successfully delivered.'),
    ];
    expect(unexplained(rows)).toEqual({ trace: 1 });
    expect(unexplained([...rows].reverse())).toEqual({ trace: 1 });
  });

  it("is not explained by another recipient's failure, nor by the recipient's own receipt", () => {
    const rows = [traced('a@adatum.com'), traced('b@adatum.com')];
    expect(unexplained([...rows, detail('FAIL', 'a@adatum.com', NOT_FOUND)])).toEqual({ trace: 1 });
    expect(unexplained([rows[0] as Row, detail('RECEIVE', 'a@adatum.com', 'received')])).toEqual({
      trace: 1,
    });
    expect(
      unexplained([...rows, detail('FAIL', 'a@adatum.com', NOT_FOUND), detail('DROP', 'b@adatum.com', 'x')]),
    ).toEqual({});
  });

  it("is explained by the recipient's failure with its text, whatever the reason, before or after", () => {
    const reason = detail('FAIL', 'a@adatum.com', NOT_FOUND);
    expect(unexplained([traced('a@adatum.com'), reason])).toEqual({});
    expect(unexplained([reason, traced('a@adatum.com')])).toEqual({});
    // A Fail detail without its text is a failure without a reason itself.
    expect(unexplained([traced('a@adatum.com'), detail('FAIL', 'a@adatum.com')])).toEqual({ trace: 1 });
  });

  it("is explained by a log's refusal of that message and recipient, in any file (hunt7 defect 5)", () => {
    expect(unexplained([traced('a@adatum.com'), tracked('M1@x', 'a@adatum.com')])).toEqual({});
    expect(unexplained([tracked('M1@x', 'a@adatum.com'), traced('a@adatum.com')])).toEqual({});
    // A deferral for relay (4.4.62, 5.7.64 retried) is the refusal too.
    expect(unexplained([traced('a@adatum.com'), tracked('M1@x', 'a@adatum.com', 'DEFER')])).toEqual({});
    expect(unexplained([traced('a@adatum.com'), tracked('M2@x', 'a@adatum.com')])).toEqual({ trace: 1 });
    expect(unexplained([traced('a@adatum.com'), tracked('M1@x', 'b@adatum.com')])).toEqual({ trace: 1 });
  });

  it('takes reasons without a recipient only as many as the failed recipients', () => {
    const one = detail('FAIL', undefined, NOT_FOUND, { timestamp: '2026-11-28T10:00:01.000Z' });
    const two = detail('FAIL', undefined, NOT_FOUND, { timestamp: '2026-11-28T10:00:02.000Z' });
    expect(unexplained([traced('a@adatum.com'), one])).toEqual({});
    expect(unexplained([traced('a@adatum.com'), traced('b@adatum.com'), one])).toEqual({ trace: 1 });
    // The same row twice (overlapping exports) is one reason.
    expect(unexplained([traced('a@adatum.com'), traced('b@adatum.com'), one, one])).toEqual({ trace: 1 });
    expect(unexplained([traced('a@adatum.com'), traced('b@adatum.com'), one, two])).toEqual({});
    // A receipt, or a deferral (retried, so counted more than once), is never one.
    const receive = detail('RECEIVE', undefined, 'Message received by: AM0PR01MB1234');
    expect(unexplained([traced('a@adatum.com'), receive])).toEqual({ trace: 1 });
    const defer = detail('DEFER', undefined, '451 4.4.0 DNS query failed');
    expect(unexplained([traced('a@adatum.com'), defer])).toEqual({ trace: 1 });
  });

  it('counts a failed row without a Message-ID; a reason joins it by its trace id only', () => {
    const failed = traced('a@adatum.com', { messageId: undefined, messageTraceId: 't-9' });
    expect(unexplained([failed])).toEqual({ trace: 1 });
    const anonymous = traced('a@adatum.com', { messageId: undefined, messageTraceId: undefined });
    expect(unexplained([anonymous, detail('FAIL', 'a@adatum.com', NOT_FOUND)])).toEqual({ trace: 1 });
    expect(
      unexplained([failed, detail('FAIL', 'a@adatum.com', NOT_FOUND, { messageTraceId: 't-9' })]),
    ).toEqual({});
    // A Graph detail page gives only its trace's id: it explains the trace row that has both.
    const graph = detail('FAIL', 'a@adatum.com', NOT_FOUND, { messageId: undefined });
    expect(unexplained([traced('a@adatum.com'), graph])).toEqual({});
    // Rows whose Message-IDs differ are two messages, whatever trace id they share.
    const other = detail('FAIL', 'a@adatum.com', NOT_FOUND, { messageId: 'M2@x' });
    expect(unexplained([traced('a@adatum.com'), other])).toEqual({ trace: 1 });
  });

  it('counts a failure said twice once, under the file that said it first', () => {
    expect(unexplained([traced('a@adatum.com', {}, 'first'), traced('a@adatum.com', {}, 'second')])).toEqual({
      first: 1,
    });
  });

  it('leaves the failures of a file read on by a later invocation from its start line to that read', () => {
    const at = (line: number, recipient: string): Row => {
      const row = traced(recipient, { messageId: `M${line}@x`, messageTraceId: `t-${line}` });
      row.event.line = line;
      return row;
    };
    const rows = [at(5, 'a@adatum.com'), at(50, 'b@adatum.com')];
    expect(unexplained(rows)).toEqual({ trace: 2 });
    // The read that goes on starts at line 20: it reads the failure of line 50 again, not that of line 5.
    expect(unexplained(rows, { sourceId: 'trace', fromLine: 20 })).toEqual({ trace: 1 });
    expect(unexplained(rows, { sourceId: 'other', fromLine: 20 })).toEqual({ trace: 2 });
  });

  it('counts the failures past its bound unchecked: an over-count, never a wrong all-clear', () => {
    const failures = new TraceFailures();
    for (let index = 0; index <= MAX_TRACE_FAILURES; index++) {
      const row = traced(`r${index}@adatum.com`, { messageId: `M${index}@x`, messageTraceId: undefined });
      failures.see(row.event, row.format, row.source, null);
    }
    expect(failures.unexplained().get('trace')).toBe(MAX_TRACE_FAILURES + 1);
  });

  it('keeps reasons up to its bound, a repeat taking no room; past it one is lost (an over-count)', () => {
    const failures = new TraceFailures();
    const see = (row: Row) =>
      failures.see(row.event, row.format, row.source, relayRejectionIn(row.event.recipientStatus) ?? null);
    const retried = tracked('M0@x', 'a@adatum.com', 'DEFER');
    for (let index = 0; index < MAX_TRACE_FAILURES; index++) see(retried);
    see(traced('a@adatum.com', { messageId: 'M1@x' }));
    see(tracked('M1@x', 'a@adatum.com'));
    expect(failures.unexplained().size).toBe(0);
    for (let index = 2; index < MAX_TRACE_FAILURES; index++) see(tracked(`M${index}@x`, 'a@adatum.com'));
    see(traced('b@adatum.com', { messageId: 'M1@x' }));
    see(tracked('M1@x', 'b@adatum.com'));
    expect(failures.unexplained().get('trace')).toBe(1);
  });
});
