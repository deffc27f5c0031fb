/**
 * Rows skipped although they hold relay-refusal text: a file with one never ends in "no relay
 * refusals". Every reader uses this: a row it cannot read (a cut line, a wrong field count, a date it
 * does not know, a record that fails its schema) is checked for refusal text with the one matcher,
 * {@link refusalMarkerIn}, and one that holds some is skipped as `REFUSAL_NOT_READ`; once the file
 * is read — its other refusals handed on — the file fails with that code, naming the line.
 *
 * Only skipped rows are looked at: the rows that are read pay nothing.
 */
// refusalMarkerIn (evidence/rejections.ts) is the matcher; PieceSearch uses its pattern for the index.
import { plural } from '../../kernel/counts-in-words.js';
import { ErrorCode, RelayAuditError } from '../../kernel/errors.js';
import { REFUSAL_MARKER, REFUSAL_MARKER_REACH } from '../evidence/rejections.js';
import type { SkipReason } from '../formats/format-adapter.js';
import type { SourceRecord } from '../model/source-record.js';

/** What to do about such a row of a file that is no mail log: a tracking log, an export, a JSON trace. */
export const READ_AGAIN =
  'Copy or export the file again (a tracking log once it has rolled over), or mend the row, and analyse it again.';

/** A skipped row as reported. */
export interface Skip {
  reason: SkipReason;
  message: string;
}

/**
 * The skip of a row whose text holds `marker` (from {@link refusalMarkerIn}, or `undefined`):
 * `REFUSAL_NOT_READ`, why it was not read kept in the message; else the skip as it was.
 */
export function skipOf(reason: SkipReason, message: string, marker: string | undefined): Skip {
  if (marker === undefined) return { reason, message };
  return { reason: 'REFUSAL_NOT_READ', message: `${message}, yet it holds relay-refusal text (${marker})` };
}

/** The first skipped row that held refusal text, and how many did. */
interface Unread {
  count: number;
  first: { line: number; message: string } | undefined;
}

/**
 * Rows skipped as `REFUSAL_NOT_READ` in one file. A read that goes on from an earlier invocation's
 * (ingest's continuations) starts from the rows that record counted.
 */
export class UnreadRefusals {
  private readonly unread: Unread;

  /** `advice`: what to do, ending the failure's message. */
  public constructor(
    private readonly file: string,
    private readonly advice: string,
    earlier?: Pick<SourceRecord, 'skipped' | 'skippedByReason'>,
  ) {
    const first = earlier?.skipped.find((row) => row.reason === 'REFUSAL_NOT_READ');
    this.unread = {
      count: earlier?.skippedByReason.REFUSAL_NOT_READ ?? 0,
      first: first === undefined ? undefined : { line: first.line, message: first.message },
    };
  }

  public add(line: number, message: string): void {
    this.unread.count++;
    this.unread.first ??= { line, message };
  }

  /**
   * Throws REFUSAL_NOT_READ when such a row was skipped. `what`: what the file looks like, when no
   * row of it was read.
   */
  public fail(what?: string): void {
    const { count, first } = this.unread;
    if (count === 0) return;
    // The first may be past the rows an earlier invocation listed (they are capped): then unnamed.
    const example = first === undefined ? '' : ` — ${first.message}`;
    const which =
      count === 1
        ? `line ${first?.line ?? '?'} could not be read`
        : `${plural(count, 'line')} that hold relay-refusal text could not be read${first === undefined ? '' : `, e.g. line ${first.line}`}`;
    const rest =
      what === undefined
        ? `Its other lines were read and their refusals are reported, but not ${count === 1 ? 'this line' : 'these lines'}.`
        : `It looks like ${what}.`;
    throw new RelayAuditError(
      ErrorCode.RefusalNotRead,
      `${this.file}: ${which}${example}. ${rest} ${this.advice}`,
      {
        location: first === undefined ? { file: this.file } : { file: this.file, line: first.line },
      },
    );
  }
}

/**
 * Searches a row too long to keep, piece by piece as it passes, for relay-refusal text: the same
 * matcher, a marker cut between two pieces found whole, one near a piece's end judged with what
 * follows it (see {@link REFUSAL_MARKER_REACH}).
 */
export class PieceSearch {
  private tail = '';
  private marker: string | undefined;

  public push(piece: string): void {
    if (this.marker !== undefined) return;
    const text = this.tail + piece;
    const match = REFUSAL_MARKER.exec(text);
    if (match !== null && match.index <= text.length - REFUSAL_MARKER_REACH) {
      this.marker = match[0];
      this.tail = '';
      return;
    }
    // One character more than the undecided end: what a code's start looks behind at.
    this.tail = text.slice(Math.max(0, text.length - REFUSAL_MARKER_REACH - 1));
  }

  /** The marker the row held, if any; the search starts over for the next row. */
  public end(): string | undefined {
    const marker = this.marker ?? REFUSAL_MARKER.exec(this.tail)?.[0];
    this.marker = undefined;
    this.tail = '';
    return marker;
  }
}
