/**
 * Streams the records out of JSON text without holding the document: a top-level array
 * (`ConvertTo-Json`), a single object (`ConvertTo-Json` of one result), Graph pages
 * (`{"@odata.context": …, "value": [ … ], "@odata.nextLink": …}`, their keys in any order, several
 * pages joined in one file, or an array of pages as `$pages | ConvertTo-Json` writes it), OData v2
 * `{"d": {"results": [ … ]}}` (Reporting Web Service) and NDJSON (one object per line). An array
 * inside an array of records holds records too: pages kept as arrays (`ConvertTo-Json` of a list
 * each page was added to whole, `[[ … ], [ … ], { … }]`). A string in an array of records is handed
 * on as a record: the `@{…}` text PowerShell writes for an object past `ConvertTo-Json -Depth`. Only
 * one record's text is kept at a time, up to {@link MAX_RECORD_CHARS}.
 *
 * The scanner tracks strings and brackets only; each record's text is then checked by `JSON.parse`
 * (and by the format's schema). A top-level object that a line ends inside was cut there when the
 * line ends inside a string (no JSON string holds a line break) or the next line starts an object
 * or array where none can be (an NDJSON line cut short, then the next record): it is reported on
 * its line and reading goes on with the next one. Each value is judged on its own, so compact and
 * pretty-printed values may follow each other in one file.
 *
 * Text it skips (a cut record, one too large, text outside any record) is searched for relay-refusal
 * text, so the reader can say a refusal was not read (input/unread-refusals.ts); records read whole
 * are not searched here.
 */
import { refusalMarkerIn } from '../evidence/rejections.js';
import { cutRowMarkerIn, cutShort, PieceSearch } from '../input/unread-refusals.js';

/** A record longer than this is skipped (RECORD_TOO_LARGE): trace records are well under 10 KB. */
export const MAX_RECORD_CHARS = 1024 * 1024;

/** Strings kept whole by the scanner: keys and top-level metadata values. */
const MAX_KEPT_STRING = 4096;

/**
 * What is said of text the file ends inside: JSON is saved whole by the tools that write it (Graph
 * pages, `ConvertTo-Json`, a shipper's NDJSON), so a download or export stopped early.
 */
const CUT_SHORT = cutShort('download');

/** Keys whose array value holds the records of a page. */
const RECORD_ARRAYS: ReadonlySet<string> = new Set(['value', 'results']);

export interface JsonRecordHandler {
  /**
   * One record's text (an object), with the line its `{` is on; `inPage` when it is one of an OData
   * page's `value` records, whose `@odata.context` may come before or after them.
   */
  record(text: string, line: number, inPage: boolean): void;
  /**
   * A string value of an `@` key of a top-level object (or of an object of a top-level array), such
   * as `@odata.context`: the object may be a page, or a record.
   */
  meta(key: string, value: string): void;
  /** That object has ended (or the text was cut inside it): what its `meta` said no longer applies. */
  pageEnd?(): void;
  /**
   * Text that is no record: a cut record, a record too large, something not JSON. `refusal`: the
   * relay-refusal marker the skipped text holds ({@link refusalMarkerIn}), if any; `cut`: what is
   * said of text the file ends inside (it is cut short; download it again), after why it is skipped.
   */
  bad(
    line: number,
    reason: 'INVALID_JSON' | 'RECORD_TOO_LARGE' | 'TRUNCATED_RECORD',
    message: string,
    refusal: string | undefined,
    cut?: string,
  ): void;
}

interface Frame {
  kind: 'object' | 'array';
  /** An array whose object elements are records. */
  records: boolean;
  /** Records arrays: the `value` of an OData page, or an array in one (see `JsonRecordHandler.record`). */
  pageValue: boolean;
  /** An object of the top level or of the top-level array: a page, or a record. */
  pageLevel: boolean;
  /** Objects: the current key, and whether the next string is a key. */
  key: string | undefined;
  expectKey: boolean;
}

interface Capture {
  line: number;
  /** The stack depth the record's `{` was pushed at (a string's: the depth of its array). */
  depth: number;
  /** A string element of a records array (its closing quote ends it), not an object. */
  string: boolean;
  pieces: string[];
  length: number;
  tooLarge: boolean;
  /** A top-level object: a record unless it turns out to be a page of records. */
  topLevel: boolean;
  /** One of an OData page's `value` records. */
  inPage: boolean;
}

export class JsonRecordScanner {
  private readonly stack: Frame[] = [];
  private line = 1;
  private inString = false;
  private escape = false;
  /** The string being read, when it is kept (a key, a metadata value). */
  private kept: string | undefined;
  private keptIsKey = false;
  private capture: Capture | undefined;
  /** Index in the current chunk where the capture's unsaved text starts. */
  private captureFrom = 0;
  /** The last character outside strings that is not white space (a string's closing quote counts). */
  private lastCode = 0;
  /**
   * A line ended inside a top-level object where no value may follow: if the next line starts an
   * object or array, the line was cut (see {@link newline}).
   */
  private cutPending = false;
  /** A capture too large to keep, searched for refusal text as its pieces pass. */
  private readonly overlong = new PieceSearch();
  /** The line that has text outside any JSON value (0: none yet), reported when it ends. */
  private strayLine = 0;
  /** Where in the current chunk that text starts, while it goes on. */
  private strayFrom: number | undefined;
  private readonly stray = new PieceSearch();

  public constructor(private readonly handler: JsonRecordHandler) {}

  public push(text: string): void {
    this.captureFrom = 0;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (this.inString) {
        // No JSON string holds a raw line break: a line ending inside one was cut (see `newline`).
        if (code === 10) this.newline(text, index);
        else if (this.stringChar(code)) this.stringEnd(text, index);
        continue;
      }
      if (code > 32 && code !== 0xfeff) {
        if (this.cutPending) {
          this.cutPending = false;
          if (code === 123 || code === 91) this.cutLine();
        }
        this.lastCode = code;
      }
      switch (code) {
        case 10: // \n
          this.newline(text, index);
          break;
        case 32:
        case 9:
        case 13:
        case 0xfeff:
          break;
        case 34: // "
          // A string outside any object or array is no record: stray text.
          if (this.stack.length === 0) this.garbage(index);
          this.openString(index);
          break;
        case 58: {
          // :
          const frame = this.top();
          if (frame?.kind === 'object') frame.expectKey = false;
          break;
        }
        case 44: {
          // ,
          const frame = this.top();
          if (frame?.kind === 'object') {
            frame.expectKey = true;
            frame.key = undefined;
          }
          break;
        }
        case 123: // {
        case 91: // [
          if (this.strayFrom !== undefined) this.saveStray(text, index);
          this.open(code === 123 ? 'object' : 'array', index);
          break;
        case 125: // }
        case 93: // ]
          this.close(text, index);
          break;
        default:
          if (this.stack.length === 0) this.garbage(index);
      }
    }
    this.saveCapture(text, text.length);
    if (this.strayFrom !== undefined) {
      this.saveStray(text, text.length);
      this.strayFrom = 0; // it goes on at the next chunk's start
    }
  }

  public end(): void {
    this.strayEnd();
    const capture = this.capture;
    if (capture !== undefined) {
      // Every piece of it was saved at the end of the last chunk. The file was cut inside it: a
      // relay-attribution code cut at its end (`… 550 5.7.6`) counts as refusal text.
      const refusal = this.refusalIn(capture, '', true);
      this.handler.bad(
        capture.line,
        'TRUNCATED_RECORD',
        'the file ends inside this record',
        refusal,
        CUT_SHORT,
      );
    } else if (this.stack.length > 0) {
      this.handler.bad(
        this.line,
        'TRUNCATED_RECORD',
        'the file ends inside a JSON array or object',
        undefined,
        CUT_SHORT,
      );
    }
    this.reset();
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  private openString(index: number): void {
    this.inString = true;
    const frame = this.top();
    // A string where a record may be (PowerShell's `@{…}` text of one): handed on like a record.
    if (frame?.kind === 'array' && frame.records && this.capture === undefined)
      this.startCapture(index, false, frame.pageValue, true);
    this.keptIsKey = frame?.kind === 'object' && frame.expectKey;
    // Keys near the top tell pages from records; `@odata…` values of pages give page context.
    const metaValue = frame?.pageLevel === true && !frame.expectKey && frame.key?.startsWith('@');
    this.kept = (this.keptIsKey && this.stack.length <= 3) || metaValue ? '' : undefined;
  }

  /** One character of a string; true when it is the string's closing quote. */
  private stringChar(code: number): boolean {
    if (this.escape) {
      this.escape = false;
      if (this.kept !== undefined && this.kept.length < MAX_KEPT_STRING)
        this.kept += String.fromCharCode(code);
      return false;
    }
    if (code === 92) {
      this.escape = true;
      return false;
    }
    if (code === 34) {
      this.inString = false;
      this.lastCode = code;
      const value = this.kept;
      this.kept = undefined;
      if (value === undefined) return true;
      const frame = this.top();
      if (this.keptIsKey) {
        if (frame) frame.key = value;
      } else if (frame?.key !== undefined) {
        this.handler.meta(frame.key, value);
      }
      return true;
    }
    if (this.kept !== undefined && this.kept.length < MAX_KEPT_STRING) this.kept += String.fromCharCode(code);
    return false;
  }

  /** The string that ended at `index` of `text`: a record when it is a string element of a records array. */
  private stringEnd(text: string, index: number): void {
    const capture = this.capture;
    if (capture?.string === true && this.stack.length === capture.depth) this.endCapture(text, index);
  }

  /**
   * The line break at `index` of `text`. Inside a top-level object it may be where an NDJSON line was
   * cut: certainly when it is inside a string begun on this line; when the object is at a place no
   * value may follow (after a value, `{` or an object's `,`), if the next line starts an object or
   * array ({@link cutPending}). Otherwise the object goes on over the lines (pretty-printed).
   */
  private newline(text: string, index: number): void {
    const capture = this.capture;
    if (capture?.topLevel === true) {
      if (this.inString && capture.line === this.line) {
        this.cutAt(capture, text.slice(this.captureFrom, index));
      } else if (!this.inString && !this.valueMayFollow()) {
        // What the line held is kept up to here: a cut found at the next line leaves the rest out.
        this.saveCapture(text, index);
        this.captureFrom = index;
        this.cutPending = true;
      }
    }
    if (this.strayLine !== 0) {
      if (this.strayFrom !== undefined) this.saveStray(text, index);
      this.strayEnd();
      // A string outside any value ends with its line, as a cut record does: read on from the next.
      if (this.stack.length === 0) {
        this.inString = false;
        this.escape = false;
      }
    }
    this.line++;
  }

  /** Whether a value may come next: after `:`, `[`, or an array's `,`. */
  private valueMayFollow(): boolean {
    const last = this.lastCode;
    return last === 58 || last === 91 || (last === 44 && this.top()?.kind === 'array');
  }

  /** The top-level object being read was cut where the last line ended: skipped, read on from here. */
  private cutLine(): void {
    const capture = this.capture;
    if (capture === undefined) return;
    this.cutAt(capture, '');
  }

  /** Skips `capture`, cut where its line ended (`rest`: its text not yet saved), and reads on. */
  private cutAt(capture: Capture, rest: string): void {
    const refusal = this.refusalIn(capture, rest);
    this.handler.bad(capture.line, 'INVALID_JSON', 'the line ends before its JSON object does', refusal);
    this.reset();
  }

  private open(kind: Frame['kind'], index: number): void {
    const parent = this.top();
    let records = false;
    let pageValue = false;
    // The file's objects, or those of its top-level array (`$pages | ConvertTo-Json`), may be pages.
    const pageLevel =
      kind === 'object' && (parent === undefined || (this.stack.length === 1 && parent.records));
    if (parent === undefined) {
      if (kind === 'array') records = true;
      else this.startCapture(index, true, false, false);
    } else if (parent.kind === 'array' && parent.records && this.capture === undefined) {
      // An array among records is a page of them kept whole (`$pages.Add($page)`): records too.
      if (kind === 'object') this.startCapture(index, false, parent.pageValue, false);
      records = kind === 'array';
      pageValue = records && parent.pageValue;
    } else if (kind === 'array' && this.isPageArray(parent)) {
      // `value` of a Graph page, `results` (or `d`) of OData v2: the enclosing object is a page, not
      // a record. Any capture is that object's (records arrays begin at most two levels down).
      this.dropCapture();
      records = true;
      pageValue = (parent.key ?? '').toLowerCase() === 'value';
    }
    this.stack.push({ kind, records, pageValue, pageLevel, key: undefined, expectKey: kind === 'object' });
  }

  /** True when an array under `parent`'s current key holds a page's records. */
  private isPageArray(parent: Frame): boolean {
    if (parent.kind !== 'object') return false;
    const key = (parent.key ?? '').toLowerCase();
    if (parent.pageLevel) return RECORD_ARRAYS.has(key) || key === 'd';
    // OData v2 `{"d": {"results": [ … ]}}`: `results` of the `d` object of a page.
    const grandparent = this.stack[this.stack.length - 2];
    return key === 'results' && grandparent?.pageLevel === true && grandparent.key === 'd';
  }

  private close(text: string, index: number): void {
    const closed = this.stack.pop();
    const capture = this.capture;
    if (capture !== undefined && this.stack.length === capture.depth) this.endCapture(text, index);
    if (closed?.pageLevel === true) this.handler.pageEnd?.();
  }

  /** The capture ends with the character at `index` of `text`: a record, or one too large. */
  private endCapture(text: string, index: number): void {
    const capture = this.capture;
    if (capture === undefined) return;
    this.capture = undefined;
    if (capture.tooLarge) {
      this.handler.bad(
        capture.line,
        'RECORD_TOO_LARGE',
        `a record longer than ${MAX_RECORD_CHARS / 1024 / 1024} MB (${capture.length} characters): not a trace record`,
        this.refusalIn(capture, text.slice(this.captureFrom, index + 1)),
      );
    } else {
      capture.pieces.push(text.slice(this.captureFrom, index + 1));
      this.handler.record(capture.pieces.join(''), capture.line, capture.inPage);
    }
  }

  private startCapture(index: number, topLevel: boolean, inPage: boolean, string: boolean): void {
    this.capture = {
      line: this.line,
      depth: this.stack.length,
      string,
      pieces: [],
      length: 0,
      tooLarge: false,
      topLevel,
      inPage,
    };
    this.captureFrom = index;
  }

  /**
   * Keeps the capture's text up to `end` of this chunk (the chunk is about to go). Past
   * {@link MAX_RECORD_CHARS} it is no longer kept, only searched for refusal text.
   */
  private saveCapture(text: string, end: number): void {
    const capture = this.capture;
    if (capture === undefined) return;
    const piece = end - this.captureFrom;
    capture.length += piece;
    if (capture.tooLarge) {
      if (piece > 0) this.overlong.push(text.slice(this.captureFrom, end));
    } else if (capture.length > MAX_RECORD_CHARS) {
      capture.tooLarge = true;
      for (const kept of capture.pieces) this.overlong.push(kept);
      this.overlong.push(text.slice(this.captureFrom, end));
      capture.pieces = [];
    } else if (piece > 0) {
      capture.pieces.push(text.slice(this.captureFrom, end));
    }
  }

  /**
   * The refusal marker in a capture being skipped, `rest` (its text not yet saved) included; `cut`:
   * the file ends inside it ({@link cutRowMarkerIn}).
   */
  private refusalIn(capture: Capture, rest: string, cut = false): string | undefined {
    if (!capture.tooLarge) {
      const text = capture.pieces.join('') + rest;
      return cut ? cutRowMarkerIn(text) : refusalMarkerIn(text);
    }
    this.overlong.push(rest);
    return this.overlong.end(cut);
  }

  /** Forgets the capture (and the search of it, when it was too large). */
  private dropCapture(): void {
    if (this.capture?.tooLarge === true) this.overlong.end();
    this.capture = undefined;
  }

  /** A character outside any JSON value, at `index`: stray text from there on, until a value starts. */
  private garbage(index: number): void {
    this.strayLine = this.line;
    this.strayFrom ??= index;
  }

  /** Searches the stray text from where it started to `end` of this chunk. */
  private saveStray(text: string, end: number): void {
    this.stray.push(text.slice(this.strayFrom, end));
    this.strayFrom = undefined;
  }

  /** The line that held stray text has ended: skipped, with the refusal marker its stray text held. */
  private strayEnd(): void {
    if (this.strayLine === 0) return;
    const line = this.strayLine;
    this.strayLine = 0;
    this.strayFrom = undefined;
    this.handler.bad(line, 'INVALID_JSON', 'text outside any JSON object or array', this.stray.end());
  }

  private reset(): void {
    // A page cut short ends here: its context must not pass to the next one.
    if (this.stack.length > 0) this.handler.pageEnd?.();
    this.stack.length = 0;
    this.dropCapture();
    this.inString = false;
    this.escape = false;
    this.kept = undefined;
    this.cutPending = false;
  }
}
