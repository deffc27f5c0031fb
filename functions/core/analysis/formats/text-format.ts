/**
 * The contract of inputs that are not CSV-like: MTA logs (Postfix, sendmail, Exim), IIS SMTP W3C
 * logs and message trace JSON. They are recognised by their first lines, not by header names, and
 * read from the decoded text by a reader of their own (a line or a JSON record at a time).
 */
import type { FormatId, TraceEvent } from '../model/events.js';
import type { SourceNote } from '../model/source-record.js';
import type { RowContext, RowSink } from './format-adapter.js';

/** Reasons of rows that are counted by reason but not listed one by one (stable, stored). */
export type CountedSkipReason =
  /** A syslog line of another program (cron, sshd, dovecot…) in the same file. */
  | 'OTHER_PROGRAM'
  /** A line that is no log line at all (journalctl's `-- Boot … --` markers, blank-looking noise). */
  | 'NOT_A_LOG_LINE';

/** Receives what a reader makes of the text: rows, their events and skips. */
export interface TextSink extends RowSink {
  /** A new row (a line, a JSON record) begins; every row is then analysed or skipped. */
  row(line: number): void;
  /** Skips the current row, counted under `reason` without listing it (lines of other programs). */
  count(reason: CountedSkipReason): void;
}

/** What a reader knows of its file besides the text. */
export interface TextContext extends RowContext {
  /** The file's modification time, when known: the year of syslog dates that have none. */
  modified?: Date;
  /** An object's upload time (S3 `LastModified`; see `AnalysisInput.uploaded`): only in the cloud. */
  uploaded?: Date;
  /** The year given by the user (`--year`) for syslog dates that have none; wins over `modified`. */
  year?: number;
  /** Now, for a year when neither is known. */
  now: Date;
  /** What the readers of the run's files keep for one another (absent: the file is read alone). */
  run?: TextRun;
}

/**
 * What a reader leaves to the run for its file, once every file is read: events it held back for
 * lines a later file might hold, and notes on what no file held.
 */
export interface HeldBack {
  file: string;
  events: TraceEvent[];
  notes: SourceNote[];
}

/** A format's part of a {@link TextRun}. */
export interface RunPart {
  /** Once every file of the run is read: what its readers held back, by file. */
  settle(): HeldBack[];
}

/**
 * What the readers of one run's files keep for one another: a mail log rotated during a delivery
 * attempt has a refusal in one file and the lines naming its recipients in the next, read before or
 * after it (mta-log.ts). Made once per run (analyze.ts) and handed to each reader in its context,
 * never a module's global: one process (the server, the tests) runs several analyses. Each format
 * keeps its part under a key of its own.
 */
export class TextRun {
  private readonly parts = new Map<string, RunPart>();

  /** The part of `key`, made by `make` when a reader of the run first asks for it. */
  public part<T extends RunPart>(key: string, make: () => T): T {
    const known = this.parts.get(key);
    if (known !== undefined) return known as T;
    const made = make();
    this.parts.set(key, made);
    return made;
  }

  /** Once every file of the run is read: what each part held back, by file. */
  public settle(): HeldBack[] {
    return [...this.parts.values()].flatMap((part) => part.settle());
  }
}

/** Reads one file's text, chunk by chunk. */
export interface TextReader {
  push(text: string, sink: TextSink): void;
  /** The text has ended: finish a last line or record. */
  end(sink: TextSink): void;
  /** How the file was read (years assumed, correlation bounds hit), asked once after `end`. */
  notes(): SourceNote[];
}

/** The first part of a decoded file, for recognising its format. */
export interface TextHead {
  /** The head's text, BOMs removed. */
  text: string;
  /** Its complete lines (without line ends), at most a few hundred. */
  lines: readonly string[];
  /** The head is the whole text: no line follows `lines`. */
  whole: boolean;
}

export interface TextFormat {
  readonly id: FormatId;
  /** True when the head is this format's. Formats are asked in registry order. */
  sniff(head: TextHead): boolean;
  createReader(context: TextContext): TextReader;
}

/**
 * A text whose head has the shape of a format family but not what tells the format apart: a syslog
 * file (`/var/log/syslog`, `messages`, a mail.log that begins with dovecot lines) whose first lines
 * are no mail program's. Its reader reads on and tells the format from the first line that does.
 */
export interface LateTextFormat {
  readonly late: true;
  sniff(head: TextHead): boolean;
  createReader(context: TextContext): LateTextReader;
}

export interface LateTextReader extends TextReader {
  /** The format, once a line has told it; `undefined` until then. */
  format(): FormatId | undefined;
  /**
   * What the text is when no line has told the format (`a syslog file (… lines of other programs:
   * kernel 812, …) with no Postfix, sendmail or Exim line in it`): `scope` says how much was read.
   */
  unknown(scope: string): string;
}

export function isLate(format: TextFormat | LateTextFormat): format is LateTextFormat {
  return 'late' in format;
}

/** Lines longer than this are not log lines (a runaway or binary file): skipped, not kept whole. */
export const MAX_LINE_CHARS = 64 * 1024;

/** How a {@link LineSplitter} cuts lines. */
export interface LineOptions {
  /**
   * Drops the NUL bytes a line begins with, and hands on their number: a log written when its host
   * crashed or lost power holds a run of NULs where the last writes were lost, and the first line
   * written after the reboot follows them on the same line. Dropped before the line's length counts,
   * so a run longer than {@link MAX_LINE_CHARS} costs no line.
   */
  leadingNuls?: boolean;
}

/**
 * Cuts text chunks into lines, with their 1-based numbers; `\r\n` and `\n` ends, a last line
 * without an end. A line past {@link MAX_LINE_CHARS} is handed on cut, with `tooLong` set, so memory
 * stays bounded whatever the file holds.
 */
export class LineSplitter {
  private partial = '';
  private tooLong = false;
  private nuls = 0;
  private next = 1;
  private readonly dropNuls: boolean;

  public constructor(
    private readonly onLine: (text: string, line: number, tooLong: boolean, nuls: number) => void,
    options: LineOptions = {},
  ) {
    this.dropNuls = options.leadingNuls === true;
  }

  public push(text: string): void {
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) break;
      this.add(text.slice(start, newline));
      this.emit();
      start = newline + 1;
    }
    if (start < text.length) this.add(text.slice(start));
  }

  public end(): void {
    if (this.partial.length > 0 || this.tooLong || this.nuls > 0) this.emit();
  }

  private add(text: string): void {
    let piece = text;
    if (this.tooLong) return;
    // One look per line (and per chunk a line spans): NULs only ever lead a line's text.
    if (this.dropNuls && this.partial.length === 0 && piece.charCodeAt(0) === 0) {
      let start = 1;
      while (start < piece.length && piece.charCodeAt(start) === 0) start++;
      this.nuls += start;
      piece = piece.slice(start);
    }
    if (this.partial.length + piece.length > MAX_LINE_CHARS) {
      this.partial = (this.partial + piece).slice(0, MAX_LINE_CHARS);
      this.tooLong = true;
      return;
    }
    this.partial += piece;
  }

  private emit(): void {
    let text = this.partial;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    // A BOM at a line start is where a joined file's next part began.
    while (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const tooLong = this.tooLong;
    const nuls = this.nuls;
    this.partial = '';
    this.tooLong = false;
    this.nuls = 0;
    this.onLine(text, this.next++, tooLong, nuls);
  }
}

/** A reader that keeps the sink of the current call for the callbacks of its parser. */
export abstract class SinkReader implements TextReader {
  private current: TextSink | undefined;

  public push(text: string, sink: TextSink): void {
    this.current = sink;
    this.feed(text);
  }

  public end(sink: TextSink): void {
    this.current = sink;
    this.finish();
  }

  public notes(): SourceNote[] {
    return [];
  }

  /** The sink of the call in progress (parsers call back only from inside `push` and `end`). */
  protected get sink(): TextSink {
    if (this.current === undefined) throw new Error('a text reader was called back outside push/end');
    return this.current;
  }

  protected abstract feed(text: string): void;
  protected abstract finish(): void;
}

/** A reader of line-based logs: each line (without its end) goes to {@link line}. */
export abstract class LineReader extends SinkReader {
  private readonly lines: LineSplitter;

  public constructor(options: LineOptions = {}) {
    super();
    this.lines = new LineSplitter(
      (text, line, tooLong, nuls) => this.line(text, line, tooLong, nuls),
      options,
    );
  }

  protected feed(text: string): void {
    this.lines.push(text);
  }

  protected finish(): void {
    this.lines.end();
  }

  /** `nuls`: the NUL bytes dropped before the line's text (with {@link LineOptions.leadingNuls}). */
  protected abstract line(text: string, line: number, tooLong: boolean, nuls: number): void;
}
