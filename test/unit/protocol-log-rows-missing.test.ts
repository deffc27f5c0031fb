/**
 * SmtpSessions with rows missing inside a session while commands await their answers: the answers
 * after the skip are paired once those that follow tell how (session-gap.ts), or, untold, given
 * without recipient, never to another command's recipient by position. Rows of sample-logs/
 * SEND20261128-1.LOG's session 08DF0074E51B0A27 (lee@contoso.com accepted, ap@litware.com refused).
 */
import { describe, expect, it } from 'vitest';
import {
  type Answer,
  type ProtocolRow,
  SmtpSessions,
} from '../../functions/core/analysis/formats/smtp-sessions.js';

const ID = '08DF0074E51B0A27';

/** Rows 1–27 of the session, as `[sequence, event, data]`. */
const SESSION: [number, string, string][] = [
  [1, '+', ''],
  [2, '<', '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready'],
  [3, '>', 'EHLO EX01.contoso.local'],
  [4, '<', '250 AM0PR01MB1234 Hello [203.0.113.25] PIPELINING'],
  [16, '>', 'MAIL FROM:<invoices@tailspin-billing.com> SIZE=61877'],
  [17, '>', 'RCPT TO:<lee@contoso.com>'],
  [18, '>', 'RCPT TO:<ap@litware.com>'],
  [19, '<', '250 2.1.0 Sender OK'],
  [20, '<', '250 2.1.5 Recipient OK'],
  [21, '<', '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234]'],
  [22, '>', 'DATA'],
  [23, '<', '354 Start mail input; end with <CRLF>.<CRLF>'],
  [24, '<', '250 2.6.0 <B81F@EX01.contoso.local> Queued mail for delivery'],
  [25, '>', 'QUIT'],
  [26, '<', '221 2.0.0 Service closing transmission channel'],
  [27, '-', ''],
];

/** The refusals the rows give, each with its line, answered at once or released later. */
function refusals(rows: readonly [number, string, string][]): { line: number; answer: Answer }[] {
  const sessions = new SmtpSessions();
  const out: { line: number; answer: Answer }[] = [];
  // Rows 5–15 (STARTTLS, certificate lines) are left out as numbered: a skip with nothing waiting.
  rows.forEach(([sequence, event, data], at) => {
    const row: ProtocolRow = { sessionId: ID, event, data, context: '', line: at + 1, sequence };
    const outcome = sessions.read(row);
    if (outcome.kind === 'answer') out.push({ line: row.line, answer: outcome.answer });
    out.push(...sessions.takeReleased());
  });
  sessions.settleAll();
  out.push(...sessions.takeReleased());
  return out;
}

const without = (...sequences: number[]) => SESSION.filter(([sequence]) => !sequences.includes(sequence));

describe('a send protocol session with rows missing while commands wait', () => {
  it('pairs the refusal as the whole session does when the 250 to lee@ was dropped', () => {
    const whole = refusals(SESSION);
    expect(whole.map(({ answer }) => answer.recipient)).toEqual(['ap@litware.com']);
    const dropped = refusals(without(20));
    expect(dropped.map(({ answer }) => answer)).toEqual(whole.map(({ answer }) => answer));
  });

  it('pairs it so with every 250 to MAIL FROM and RCPT TO dropped (the 354 tells where DATA stands)', () => {
    expect(refusals(without(19, 20)).map(({ answer }) => answer.recipient)).toEqual(['ap@litware.com']);
  });

  it('gives a refusal the later answers cannot tell without recipient, never lee@ (accepted)', () => {
    // The session ends after the refusal: it may answer MAIL FROM, lee@'s RCPT TO or ap@'s.
    const cut = refusals([...without(20).filter(([sequence]) => sequence <= 21), [22, '-', '']]);
    expect(cut).toHaveLength(1);
    expect(cut[0]?.line).toBe(9);
    expect(cut[0]?.answer.recipient).toBeUndefined();
    expect(cut[0]?.answer.recipients).toBeUndefined();
    expect(cut[0]?.answer.recipientUnknown).toContain('sequence-number 20');
  });
});
