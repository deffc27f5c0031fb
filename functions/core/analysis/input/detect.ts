/**
 * Detect: read the preamble and header of a decoded file and pick its format by header names.
 *
 * Accepts `#`-preamble lines (`#Software:` … `#Fields:` of raw logs, `#TYPE …` of Windows
 * PowerShell 5.1), blank leading lines, stray BOMs at line starts (joined files), `,` `;` or tab
 * delimiters, Excel's `sep=;` first line (which declares the delimiter), and a few title lines above
 * the header (a report's name and date, as a spreadsheet saves them; noted, never silent). The first
 * other line is the header — or, for tracking-log rows whose `#` lines were dropped, the first row
 * (see `FormatAdapter.headerless`). A file no format recognises fails with an
 * {@link UnknownFormatError} that names what the file looks like when we can tell (JSON, an SMTP
 * protocol log, an export with columns left out, …) or else lists the headers it saw, and the
 * formats we know.
 */
import { groupDigits } from '../../kernel/counts-in-words.js';
import { EmptyInputError, TruncatedInputError, UnknownFormatError } from '../../kernel/errors.js';
import { quoteText } from '../../kernel/strings.js';
import { type Delimiter, guessDelimiter, normaliseHeader, splitRecord } from '../../text/csv-records.js';
import { refusalMarkerIn, relayRejectionIn } from '../evidence/rejections.js';
import { missingColumns } from '../formats/columns.js';
import { FORMATS, type FormatAdapter } from '../formats/index.js';
import { FORMAT_LABELS } from '../formats/labels.js';
import { TEXT_FORMATS } from '../formats/text-formats.js';
import type { SourceNote } from '../model/source-record.js';
import { PieceSearch } from './unread-refusals.js';
import {
  describeUnsupported,
  type LaterRefusal,
  REFUSAL_SEARCH_CHARS,
  refusalInSample,
  SAMPLE_CHARS,
  type UnrecognisedInput,
} from './unsupported-inputs.js';

/** How much text may precede the first data row before we give up looking for a header. */
const MAX_HEADER_CHARS = 256 * 1024;
/**
 * How much may come before the header: `#` lines and blank lines. Real preambles are a handful of
 * lines; without a bound a file of nothing but `#` or blank lines (or a small gzip of them) would be
 * read to its end, its `#` lines kept in memory.
 */
const MAX_PREAMBLE_LINES = 10_000;
const MAX_PREAMBLE_CHARS = 1024 * 1024;
/** `#` lines kept for naming what a file is (`#Software:`, `#Log-type:` come first). */
const KEPT_PREAMBLE_LINES = 50;
/**
 * Title lines a header may have above it: a report's name, its date range, a filter — a few short
 * lines, as an export opened in a spreadsheet and saved again may have. More, or a longer line, or
 * one with a refusal in it, is no title but rows of something else: the file is refused.
 */
const MAX_TITLE_LINES = 10;
const MAX_TITLE_CHARS = 1024;
/**
 * How much of a line not recognised as a header its error quotes: a wide export's header (a
 * tracking log's 30 columns are about 400 characters) whole, a long log line up to its first words.
 */
const QUOTED_HEADER_CHARS = 480;
/** Excel's first line `sep=;`: it declares the delimiter (and is no header). */
const SEP_DIRECTIVE = /^sep=([,;\t])\1*$/i;

export interface Detection {
  format: FormatAdapter;
  delimiter: Delimiter;
  /** The header's cells; for a header-less file, the field list inferred from its first row. */
  headers: string[];
  /** 1-based line of the header (the `#Fields:` line for raw logs); 0 when the file has none. */
  headerLine: number;
  /**
   * True when the file has no header: its rows (from `restLine` on) are read by
   * `format.headerless`, which infers each row's field list.
   */
  headerless: boolean;
  /** Preamble lines such as `#Software: Microsoft Exchange Server`. */
  preamble: string[];
  /** What detection passed over and the file's record must say (title lines above the header). */
  notes: SourceNote[];
  /** Text after the header line, to be read as records. */
  rest: string;
  /** Line number of the first line of `rest`. */
  restLine: number;
}

/** The field names of a `#Fields:` directive line, or `undefined` when the line is not one. */
export function parseFieldsDirective(line: string): string[] | undefined {
  const directive = /^#Fields:\s*(.*)$/i.exec(line);
  if (!directive) return undefined;
  return (splitRecord(directive[1] ?? '', ',') ?? []).map((header) => header.replace(/^\uFEFF/, '').trim());
}

/** Chooses the format whose required headers are all present, preferring the most specific. */
export function chooseFormat(
  headers: readonly string[],
  fieldsDirective: boolean,
): FormatAdapter | undefined {
  const present = new Set(headers.map(normaliseHeader));
  let chosen: FormatAdapter | undefined;
  for (const format of FORMATS) {
    if (Boolean(format.fieldsDirective) !== fieldsDirective) continue;
    if (missingColumns(format, present).length > 0) continue;
    if (!chosen || format.requiredHeaders.length > chosen.requiredHeaders.length) chosen = format;
  }
  return chosen;
}

/** The formats relay-audit reads, for an UNKNOWN_FORMAT message. */
export function describeKnownFormats(): string {
  return [
    ...FORMATS.map(
      (format) => `  - ${FORMAT_LABELS[format.id].full}: needs ${format.requiredHeaders.join(', ')}`,
    ),
    // Told by their first lines, not by a header (parse-text.ts).
    ...TEXT_FORMATS.map((format) => `  - ${FORMAT_LABELS[format.id].full}`),
  ].join('\n');
}

/**
 * The list of formats read, after the message of a file detection could not name; a file named as
 * what it is (a receive protocol log, an agent log) gets none: its message says what to analyse.
 */
function knownFormats(): string {
  return `\nKnown formats:\n${describeKnownFormats()}`;
}

/** A line passed over above the header, as a title. */
interface TitleLine {
  line: number;
  text: string;
}

/** How much of the line that holds a refusal found past the sample is kept to quote its status. */
const KEPT_REFUSAL_LINE_CHARS = 4096;

export interface DetectOptions {
  /**
   * Search a file refused past its first {@link SAMPLE_CHARS} for a refusal to name (default): off
   * where the error is not shown, as when a folder's files are sniffed (they are searched whole apart).
   */
  searchPastSample?: boolean;
}

/**
 * Reads from `chunks` until the header is complete and returns the detection plus the unread text.
 * The iterator is left positioned after the consumed chunks, so the caller keeps reading from it.
 */
export async function detectFormat(
  chunks: AsyncIterator<string>,
  file: string,
  options: DetectOptions = {},
): Promise<Detection> {
  let buffer = '';
  let start = 0;
  let line = 1;
  const preamble: string[] = [];
  let preambleLines = 0;
  let preambleChars = 0;
  let exhausted = false;
  /** The delimiter Excel's `sep=` line declared, when the file begins with one. */
  let declared: Delimiter | undefined;
  /** Lines above the header passed over as titles. */
  const titles: TitleLine[] = [];
  /** The error naming the first of them, thrown when no header follows. */
  let refuseFirst: RefuseFirst | undefined;
  for (;;) {
    const newline = buffer.indexOf('\n', start);
    if (newline === -1) {
      if (exhausted) {
        if (start >= buffer.length) break;
        buffer += '\n'; // the header may be the last line, without a newline
        continue;
      }
      if (buffer.length - start > MAX_HEADER_CHARS) break;
      // A chunk, and at least as much again as the unfinished line before searching it again: one
      // chunk at a time, small chunks made a long line quadratic (300 KB in 7-byte chunks: 20 s).
      const parts = [buffer.slice(start)];
      let added = 0;
      do {
        const next = await chunks.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        parts.push(next.value);
        added += next.value.length;
      } while (added < buffer.length - start);
      buffer = parts.join('');
      start = 0;
      continue;
    }
    const raw = buffer.slice(start, newline);
    const lineStart = start;
    // A BOM at a line start is where a joined file's next part began (`type MSGTRK*.LOG > all.log`).
    const text = stripBom(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    const current = line++;
    start = newline + 1;
    const isPreamble = text.trim().length === 0 || text.startsWith('#');
    if (isPreamble && !text.startsWith('#Fields:')) {
      preambleLines++;
      preambleChars += raw.length + 1;
      if (preambleLines > MAX_PREAMBLE_LINES || preambleChars > MAX_PREAMBLE_CHARS) {
        throw new UnknownFormatError(
          `${file}: no header line in its first ${groupDigits(preambleLines)} lines (${Math.round(preambleChars / 1024)} KB of only '#' and blank lines); ` +
            `a preamble is a few lines, so this is not a log or export relay-audit reads.${knownFormats()}`,
          { file },
        );
      }
    }
    if (text.trim().length === 0) continue;
    if (text.startsWith('#')) {
      const fields = parseFieldsDirective(text);
      if (fields) {
        const format = chooseFormat(fields, true);
        // A format whose preamble says the log is another's (a receive protocol log) is named as
        // every log not read is, with the refusal text it holds.
        if (format !== undefined && format.refuses?.(preamble) === undefined)
          return finish(format, fields, current);
        throw await unknownFieldsLine(text, fields, current, lineStart);
      }
      if (preamble.length < KEPT_PREAMBLE_LINES) preamble.push(text);
      continue;
    }
    const sep = titles.length === 0 && declared === undefined ? SEP_DIRECTIVE.exec(text) : null;
    if (sep) {
      declared = sep[1] as Delimiter;
      continue;
    }
    const detection = await headerOrTitle(text, current, lineStart);
    if (detection !== undefined) return detection;
  }
  if (refuseFirst !== undefined) throw await refuseFirst(titles.length - 1);
  if (preamble.length === 0 && buffer.trim().length === 0) {
    throw new EmptyInputError(`${file} is empty: there is no header and no row to analyse.`, { file });
  }
  const head = stripBom(buffer.slice(start, start + SAMPLE_CHARS).trimStart());
  const named = await describeRefused({
    text: head.slice(0, head.indexOf('\n') === -1 ? undefined : head.indexOf('\n')),
    line,
    fieldsDirective: false,
    cells: [],
    preamble,
    sample: head,
  });
  throw new UnknownFormatError(
    `${file}: ${named ?? `no header line found in the first ${MAX_HEADER_CHARS / 1024} KB (only ${preambleLines} preamble lines).${knownFormats()}`}`,
    { file },
  );

  /**
   * {@link describeUnsupported}, for a file refused at once: with what a search past its sample
   * found ({@link laterRefusal}) when it names the file. `current`: the line detection stopped at.
   */
  async function describeRefused(input: UnrecognisedInput, current?: string): Promise<string | undefined> {
    const named = describeUnsupported(input);
    if (named === undefined) return undefined;
    const later = await laterRefusal(input.sample, current);
    return later === undefined ? named : describeUnsupported({ ...input, later });
  }

  /**
   * Where the first refusal text is past a refused file's sample, searched line by line from the
   * line after the one detection stopped at (`current`, searched whole too), as far as
   * {@link REFUSAL_SEARCH_CHARS}; `undefined` when the sample already tells (it holds one, or the
   * input ends within it). Reads the input on, without keeping it: only right before the error.
   */
  async function laterRefusal(sample: string, current?: string): Promise<LaterRefusal | undefined> {
    if (options.searchPastSample === false) return undefined;
    if (sample.length < SAMPLE_CHARS || refusalMarkerIn(sample) !== undefined) return undefined;
    const currentMarker = current === undefined ? undefined : refusalMarkerIn(current);
    if (currentMarker !== undefined && current !== undefined)
      return { line: line - 1, text: current.slice(0, KEPT_REFUSAL_LINE_CHARS), marker: currentMarker };
    const search = new PieceSearch();
    let at = line;
    let kept = '';
    let read = 0;
    let text = buffer.slice(start);
    for (;;) {
      for (let from = 0; from < text.length; ) {
        const newline = text.indexOf('\n', from);
        const piece = text.slice(from, newline === -1 ? undefined : newline);
        search.push(piece);
        if (kept.length < KEPT_REFUSAL_LINE_CHARS)
          kept += piece.slice(0, KEPT_REFUSAL_LINE_CHARS - kept.length);
        if (newline === -1) break;
        const marker = search.end();
        if (marker !== undefined) return { line: at, text: kept, marker };
        at++;
        kept = '';
        from = newline + 1;
      }
      read += text.length;
      if (exhausted) break;
      if (read >= REFUSAL_SEARCH_CHARS) return 'bounded';
      const next = await chunks.next();
      if (next.done) exhausted = true;
      text = next.done ? '' : next.value;
    }
    const marker = search.end();
    return marker === undefined ? 'none' : { line: at, text: kept, marker };
  }

  /** Reads on until `SAMPLE_CHARS` from `from` are buffered (or the input ends): only to name a file we refuse. */
  async function readSample(from: number): Promise<string> {
    while (!exhausted && buffer.length - from < SAMPLE_CHARS) {
      const next = await chunks.next();
      if (next.done) exhausted = true;
      else buffer += next.value;
    }
    return buffer.slice(from, from + SAMPLE_CHARS);
  }

  /**
   * The detection when the line is a header (or the first of tracking rows without one); else
   * `undefined` when it may be a title above the header, which is then kept for the note. Throws
   * when it is neither: a file we can name, or past the title lines a header may have above it.
   */
  async function headerOrTitle(
    text: string,
    current: number,
    lineStart: number,
  ): Promise<Detection | undefined> {
    // A CSV header may itself contain quoted newlines only in theory; exports never do.
    const delimiter = declared ?? guessDelimiter(text);
    const header = splitHeader(text, delimiter);
    const format = chooseFormat(header, false);
    if (format !== undefined) return finish(format, header, current, delimiter);
    const rows = titles.length === 0 ? headerlessRows(text, current, lineStart) : undefined;
    if (rows !== undefined) return rows;
    const named = await describeRefused(
      {
        text,
        line: current,
        fieldsDirective: false,
        cells: header,
        preamble,
        sample: await readSample(lineStart),
      },
      text,
    );
    if (named !== undefined) {
      throw new UnknownFormatError(`${file}: ${named}`, {
        file,
        line: current,
      });
    }
    refuseFirst ??= unknownHeader(text, current, await readSample(lineStart));
    if (titles.length >= MAX_TITLE_LINES || !mayBeTitle(text)) throw await refuseFirst(titles.length, text);
    titles.push({ line: current, text });
    return undefined;
  }

  /** The detection of tracking rows whose header was dropped, when the line is the first of them. */
  function headerlessRows(text: string, current: number, lineStart: number): Detection | undefined {
    for (const candidate of FORMATS) {
      const inferred = candidate.headerless?.fieldsOf(splitHeader(text, ','));
      if (inferred === undefined) continue;
      // The first row is data, read from its own line on.
      return {
        format: candidate,
        delimiter: ',',
        headers: [...inferred],
        headerLine: 0,
        headerless: true,
        preamble,
        notes: [],
        rest: buffer.slice(lineStart),
        restLine: current,
      };
    }
    return undefined;
  }

  /**
   * The error for a file whose first line after the preamble is no header relay-audit knows, nor
   * any of the `linesAfter` lines read after it, quoted as the file has it ({@link noHeaderKnown}).
   */
  function unknownHeader(text: string, headerLine: number, sample: string): RefuseFirst {
    const seen = noHeaderKnown(text, headerLine);
    return async (linesAfter, current) => {
      const later = await laterRefusal(sample, current);
      return new UnknownFormatError(
        `${file}: ${seen}${noHeaderAfter(linesAfter)}. ` +
          `${refusalInSample(sample, headerLine, undefined, later)}${knownFormats()}`,
        { file, line: headerLine },
      );
    };
  }

  /**
   * The error for a `#Fields:` line of no format relay-audit reads: named when we can tell what log it
   * is, else quoted as the file has it, as {@link unknownHeader} quotes a line.
   */
  async function unknownFieldsLine(
    text: string,
    fields: string[],
    headerLine: number,
    lineStart: number,
  ): Promise<UnknownFormatError> {
    const sample = await readSample(lineStart);
    const named = await describeRefused({
      text: text.slice(text.indexOf(':') + 1).trim(),
      line: headerLine,
      fieldsDirective: true,
      cells: fields,
      preamble,
      sample,
    });
    const refusal =
      named === undefined ? refusalInSample(sample, headerLine, undefined, await laterRefusal(sample)) : '';
    return new UnknownFormatError(
      `${file}: ${named ?? `${noHeaderKnown(text, headerLine)}. ${refusal}${knownFormats()}`}`,
      { file, line: headerLine },
    );
  }

  /** The detection of a header `format` recognised, unless the preamble says it is not the format's. */
  function finish(
    format: FormatAdapter,
    headers: string[],
    headerLine: number,
    delimiter: Delimiter = ',',
  ): Detection {
    const refusal = format.refuses?.(preamble);
    if (refusal !== undefined) {
      throw new UnknownFormatError(`${file}: ${refusal}`, {
        file,
        line: headerLine,
      });
    }
    if (headers.length < 2) {
      throw new TruncatedInputError(`${file}: the header on line ${headerLine} is incomplete.`, {
        file,
        line: headerLine,
      });
    }
    return {
      format,
      delimiter,
      headers,
      headerLine,
      headerless: false,
      preamble,
      notes: titleNotes(titles, headerLine),
      rest: buffer.slice(start),
      restLine: line,
    };
  }
}

/**
 * The error naming the first line above which no header came, once `linesAfter` lines were read after
 * it; `current`: the line detection stopped at, when it is not the first (searched for a refusal too).
 */
type RefuseFirst = (linesAfter: number, current?: string) => Promise<UnknownFormatError>;

/**
 * `unknown format. Line 3 is no header relay-audit knows: "…"`: the line quoted as the file has it,
 * not as the cells a split made of it (a log line's `;` or `09:12:44,518` would be shown as text the
 * admin cannot find in the file); cut, and its control characters made visible.
 */
function noHeaderKnown(text: string, line: number): string {
  return `unknown format. Line ${line} is no header relay-audit knows: "${quoteText(text, QUOTED_HEADER_CHARS)}"`;
}

/** ` (nor is any of the 3 lines after it a header)`: how far below its first line a file was searched. */
function noHeaderAfter(lines: number): string {
  if (lines === 0) return '';
  return lines === 1
    ? ' (nor is the line after it a header)'
    : ` (nor is any of the ${lines} lines after it a header)`;
}

/** A line that may be a title above the header: short, and no refusal (which would be a row's). */
function mayBeTitle(text: string): boolean {
  return text.length <= MAX_TITLE_CHARS && relayRejectionIn(text) === undefined;
}

/** The note that says which lines above the header were passed over as titles. */
function titleNotes(titles: readonly TitleLine[], headerLine: number): SourceNote[] {
  const first = titles[0];
  const last = titles.at(-1);
  if (first === undefined || last === undefined) return [];
  const lines = first.line === last.line ? `line ${first.line}` : `lines ${first.line}–${last.line}`;
  const texts = titles.map((title) => `"${quoteText(title.text, 59)}"`);
  return [
    {
      code: 'LINES_BEFORE_HEADER',
      message: `${lines}, above the header on line ${headerLine}, passed over as a title, not rows: ${texts.join(', ')}`,
    },
  ];
}

function stripBom(text: string): string {
  let index = 0;
  while (text.charCodeAt(index) === 0xfeff) index++;
  return index === 0 ? text : text.slice(index);
}

function splitHeader(text: string, delimiter: Delimiter): string[] {
  return (splitRecord(text, delimiter) ?? []).map((header) => header.replace(/^\uFEFF/, '').trim());
}
