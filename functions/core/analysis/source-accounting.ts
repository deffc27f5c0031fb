/**
 * What a run writes in a file's source record (`model/source-record.ts`) as it reads the file:
 * rows counted and skipped rows listed, then the file's outcome — done, or failed with a stable code
 * and a message that says why in words.
 */
import { groupDigits } from '../kernel/counts-in-words.js';
import { ErrorCode, RelayAuditError } from '../kernel/errors.js';
import type { ParsedBatch } from './input/parse-input.js';
import {
  addSourceNotes,
  MAX_NOTE_CHARS,
  type SkippedRow,
  type SourceNote,
  type SourceRecord,
} from './model/source-record.js';

/** Adds a batch's rows to the file's record: read, analysed, skipped (listed up to a bound), notes. */
export function countRows(record: SourceRecord, batch: ParsedBatch, maxListed: number): void {
  // A resumed read counts its bytes again from where it starts: the most read is what was read.
  record.bytes = Math.max(record.bytes, batch.bytesRead);
  record.rowsRead += batch.rowsRead;
  record.rowsAnalysed += batch.rowsAnalysed;
  for (const row of batch.skips) {
    record.rowsSkipped++;
    listSkipped(record, row, maxListed);
  }
  for (const [reason, count = 0] of Object.entries(batch.counted ?? {})) {
    record.rowsSkipped += count;
    record.skippedByReason[reason] = (record.skippedByReason[reason] ?? 0) + count;
  }
  addSourceNotes(record, batch.notes);
}

/** Counts a skipped row by its reason and lists it, up to `maxListed` rows (then counts the rest). */
export function listSkipped(record: SourceRecord, row: SkippedRow, maxListed: number): void {
  record.skippedByReason[row.reason] = (record.skippedByReason[row.reason] ?? 0) + 1;
  if (record.skipped.length < maxListed) record.skipped.push(row);
  else record.skippedTruncated++;
}

/** Why a read stopped before the end of its file: a deadline (Lambda), or its user (Ctrl+C). */
export type StopReason = 'deadline' | 'interrupted';

/** A file's refusals whose parts no file of the run had: an MTA sender, a trace sender, a session's start. */
export interface UnseenCounts {
  sender: number;
  traceSender: number;
  sessionStart: number;
}

/** The outcome of a file read to its end, or stopped early (`stopped` says why). */
export function settleRead(record: SourceRecord, stopped: StopReason | undefined): void {
  if (stopped !== undefined) {
    // Never `done`: a half-read file must be analysed again (findings written so far are real).
    const interrupted = stopped === 'interrupted';
    record.status = 'failed';
    record.errorCode = interrupted ? ErrorCode.Interrupted : ErrorCode.DeadlineReached;
    record.errorMessage = `${record.file}: stopped ${interrupted ? 'by Ctrl+C' : 'before the deadline'} after ${record.rowsRead} rows; analyse it again`;
  } else if (record.rowsAnalysed === 0) {
    // Nothing was analysed, so nothing can be said about this file: it failed.
    record.status = 'failed';
    record.errorCode = record.rowsRead === 0 ? ErrorCode.EmptyInput : ErrorCode.NoUsableRows;
    record.errorMessage = nothingAnalysed(record);
  } else {
    record.status = 'done';
  }
}

/** The outcome of a file that could not be read (unknown format, bad encoding, a failed write). */
export function settleFailure(record: SourceRecord, error: unknown): void {
  record.status = 'failed';
  if (error instanceof RelayAuditError) {
    record.errorCode = error.code;
    record.errorMessage = error.message;
  } else {
    record.errorCode = 'READ_FAILURE';
    record.errorMessage = `${record.file}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Notes that `late` of the file's refusals repeat findings released before it was read, so those
 * findings lack the file's evidence (a protocol log's certificate).
 */
export function noteEvidenceNotJoined(record: SourceRecord, late: number): void {
  addSourceNotes(record, [
    {
      code: 'EVIDENCE_NOT_JOINED',
      message:
        `${late} of its refusals repeat findings released before it was read (more than the classifier's window ` +
        'of events earlier), so those findings lack its evidence: analyse the send protocol log first, or the two ' +
        'files together with a larger --window',
    },
  ]);
}

/**
 * Notes the file's refusals that were classified without a part their file says is in another file
 * and no file of the run had: `sender` MTA refusals without their `from=` line, `sessionStart`
 * refusals in SMTP sessions without their start. Said by the run, once every file is read: a part
 * found in another file, read before or after, is no warning.
 */
export function noteUnseen(record: SourceRecord, unseen: UnseenCounts): void {
  const notes: SourceNote[] = [];
  const { sender, traceSender, sessionStart } = unseen;
  if (sender > 0) {
    const what =
      sender === 1
        ? '1 refused recipient has no from= line for its queue id'
        : `${sender} refused recipients have no from= line for their queue ids`;
    notes.push({
      code: 'SENDER_NOT_SEEN',
      message:
        `${what} in this file or any other file of this run (the log began after the message was queued, the ` +
        'lines were chosen by a search or filter, or the queue id was forgotten), so the envelope sender is not ' +
        'known. Analyse the previous log file (the rotation before this one) in the same run to give it, or, for ' +
        'a search result or an export of chosen lines (a SIEM, grep), the whole log.',
    });
  }
  if (traceSender > 0) {
    const what =
      traceSender === 1 ? '1 refusal names no sender' : `${groupDigits(traceSender)} refusals name no sender`;
    notes.push({
      code: 'SENDER_NOT_SEEN',
      message:
        `${what}: a message trace detail gives none (Graph's getDetailsByRecipient, an export without ` +
        "SenderAddress) and no file of this run has the message's trace row. The sender decides the scenario " +
        'and the advice: analyse the message trace of the same messages (Graph messageTraces, Get-MessageTraceV2 | ' +
        'Export-Csv) in the same run.',
    });
  }
  if (sessionStart > 0) {
    const what =
      sessionStart === 1
        ? '1 refusal is in an SMTP session that began before this log (or was closed early)'
        : `${sessionStart} refusals are in SMTP sessions that began before this log (or were closed early)`;
    // An IIS SMTP log says nothing of TLS: what its sessions lack is their MAIL FROM and recipients.
    notes.push({
      code: 'SESSIONS_JOINED_LATE',
      message:
        record.format === 'iis-smtp-log'
          ? `${what}, and no file of this run has the start: its MAIL FROM, and maybe the message and recipients, ` +
            'are not known. Analyse the previous IIS SMTP log (the one before it by date or size) in the same run to give them.'
          : `${what}, and the run lacks part of it: no file has its start, or a log between is missing (their rows ` +
            'are numbered on across files). The certificate presented, and maybe the message and MAIL FROM, are not ' +
            'known. Analyse the previous SEND logs, every one since the session began, in the same run to give them.',
    });
  }
  addSourceNotes(record, notes);
}

/**
 * FORWARDING_EVIDENCE_FORGOTTEN: `count` refusals of the file read as `foreign-sender-domain` whose
 * message the run had seen arrive for an internal recipient (or be redirected or expanded) more than
 * `tracked` messages earlier, and forgotten for its bound: a day's logs of several servers, read one
 * after the other. They may be forwarding, whose fix is another. A run into a store settles them at
 * its end; a run without one can only say so.
 */
export function noteForwardingForgotten(record: SourceRecord, count: number, tracked: number): void {
  const what =
    count === 1
      ? '1 refusal read as foreign-sender-domain is of a message'
      : `${groupDigits(count)} refusals read as foreign-sender-domain are of messages`;
  addSourceNotes(record, [
    {
      code: 'FORWARDING_EVIDENCE_FORGOTTEN',
      message:
        `${what} this run read arriving for an internal address (or redirected, or expanded) more than ` +
        `${groupDigits(tracked)} messages before the refusal: too far back for the classifier to keep what it ` +
        `proved. ${count === 1 ? 'It' : 'They'} may be forwarding, whose fix is another. relay-audit analyze into a store (without ` +
        '--no-store) checks them against every receipt of the run when it ends.',
    },
  ]);
}

/**
 * FORWARDING_EVIDENCE_LATE: `late.count` refusals of the file read as `foreign-sender-domain` before
 * rows of their message that may prove forwarding, read up to `late.gap` events later, past the
 * window (a file sorted newest first, several servers' logs in it one after the other). The window
 * that would have held them is the fix, and the note names it.
 */
export function noteForwardingLate(
  record: SourceRecord,
  late: { count: number; gap: number },
  window: number,
): void {
  const what =
    late.count === 1
      ? '1 refusal read as foreign-sender-domain was classified'
      : `${groupDigits(late.count)} refusals read as foreign-sender-domain were classified`;
  // A quarter more than the largest distance seen, in thousands: room for the refusals not yet seen.
  const wider = Math.ceil((late.gap * 1.25) / 1000) * 1000;
  addSourceNotes(record, [
    {
      code: 'FORWARDING_EVIDENCE_LATE',
      message:
        `${what} before rows of ${late.count === 1 ? 'its message' : 'their messages'} that show it arriving for an internal address ` +
        `(or redirected, or expanded), read up to ${groupDigits(late.gap)} events later: past the ${groupDigits(window)} events ` +
        `a refusal waits (rows newest first, or several servers' rows one after the other). ${late.count === 1 ? 'It' : 'They'} may be ` +
        `forwarding. Analyse the file again with --window ${wider}, or with its rows oldest first.`,
    },
  ]);
}

/**
 * Notes the inferred domains the file's findings relied on that the run dropped later (see
 * classifier/inferred-reliance.ts): those findings cannot be taken back, so the record says which
 * and how many, and how to get them right.
 */
export function noteDroppedDomains(
  record: SourceRecord,
  dropped: readonly { domain: string; findings: number }[],
): void {
  if (dropped.length === 0) return;
  const one = dropped.length === 1;
  const findings = (count: number) => (count === 1 ? '1 finding' : `${groupDigits(count)} findings`);
  const advice =
    ` (inferred: no accepted domains given); rows read later showed ${one ? 'it is' : 'they are'} not ` +
    '(mail sent on to the internet, or a relay refused). Their scenario or remediation may rely on ' +
    `${one ? 'it' : 'them'}: give the accepted domains (--accepted-domains, or the configuration) and analyse again.`;
  const what = (named: string, more: number) =>
    one
      ? `${findings(dropped[0]?.findings ?? 0)} ${dropped[0]?.findings === 1 ? 'was' : 'were'} classified while ${named} counted as your domain`
      : `Findings were classified while ${named}${more > 0 ? ` and ${more} more` : ''} counted as your domains`;
  // A note holds MAX_NOTE_CHARS: as many names as fit before the advice, which is never cut off.
  const names = dropped.map((item) => (one ? item.domain : `${item.domain} (${findings(item.findings)})`));
  let shown = names.length;
  while (
    shown > 1 &&
    what(names.slice(0, shown).join(', '), names.length - shown).length + advice.length > MAX_NOTE_CHARS
  )
    shown--;
  let named = names.slice(0, shown).join(', ');
  const over = what(named, names.length - shown).length + advice.length - MAX_NOTE_CHARS;
  if (over > 0) named = `${named.slice(0, Math.max(1, named.length - over - 1))}…`;
  addSourceNotes(record, [
    { code: 'INFERRED_DOMAIN_DROPPED', message: what(named, names.length - shown) + advice },
  ]);
}

/** How many skip reasons the message of a file without usable rows explains. */
const REASONS_EXPLAINED = 3;

/**
 * Why a read file gave nothing to analyse: no rows after the header, or the main reasons its rows
 * were skipped, each with the first such row (its line, column and what to do).
 */
function nothingAnalysed(record: SourceRecord): string {
  if (record.rowsRead === 0) {
    return (
      `${record.file} has a header (${record.format ?? 'unknown format'}) but no rows after it: there is nothing to analyse. ` +
      'An export of a time range or filter without messages looks like this; export a range with mail in it.'
    );
  }
  const rows = record.rowsRead === 1 ? 'its only row' : `all ${record.rowsRead} of its rows`;
  const reasons = Object.entries(record.skippedByReason).sort((a, b) => b[1] - a[1]);
  const lines = [`${record.file}: ${rows} had to be skipped, so it says nothing about relay refusals.`];
  for (const [reason, count] of reasons.slice(0, REASONS_EXPLAINED)) {
    const example = record.skipped.find((row) => row.reason === reason);
    const where = example
      ? `, e.g. line ${example.line}${example.column ? ` (${example.column})` : ''}: ${example.message}`
      : '';
    lines.push(`${reason}: ${count} ${count === 1 ? 'row' : 'rows'}${where}`);
  }
  if (reasons.length > REASONS_EXPLAINED) {
    const rest = reasons.slice(REASONS_EXPLAINED).map(([reason, count]) => `${reason} ${count}`);
    lines.push(`also ${rest.join(', ')}`);
  }
  return lines.join('\n');
}
