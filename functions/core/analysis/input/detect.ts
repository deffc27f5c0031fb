/**
 * Detect: read the preamble and header of a decoded file and pick its format by header names.
 *
 * Accepts `#`-preamble lines (`#Software:` … `#Fields:` of raw logs, `#TYPE …` of Windows
 * PowerShell 5.1), blank leading lines, stray BOMs at line starts (joined files), and `,` `;` or tab
 * delimiters. The first other line is the header — or, for tracking-log rows whose `#` lines were
 * dropped, the first row (see `FormatAdapter.headerless`). A file no format recognises fails with an
 * {@link UnknownFormatError} that names what the file looks like when we can tell (JSON, an SMTP
 * protocol log, …) or else lists the headers it saw, and the formats we know.
 */
import { groupDigits } from '../../kernel/counts-in-words.js';
import { EmptyInputError, TruncatedInputError, UnknownFormatError } from '../../kernel/errors.js';
import { type Delimiter, guessDelimiter, normaliseHeader, splitRecord } from '../../text/csv-records.js';
import { FORMATS, type FormatAdapter } from '../formats/index.js';
import { FORMAT_LABELS } from '../formats/labels.js';
import { TEXT_FORMATS } from '../formats/text-formats.js';
import { describeUnsupported } from './unsupported-inputs.js';

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
    if (!format.requiredHeaders.every((name) => present.has(name))) continue;
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
 * Reads from `chunks` until the header is complete and returns the detection plus the unread text.
 * The iterator is left positioned after the consumed chunks, so the caller keeps reading from it.
 */
export async function detectFormat(chunks: AsyncIterator<string>, file: string): Promise<Detection> {
  let buffer = '';
  let start = 0;
  let line = 1;
  const preamble: string[] = [];
  let preambleLines = 0;
  let preambleChars = 0;
  let exhausted = false;
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
            `a preamble is a few lines, so this is not a log or export relay-audit reads.\nKnown formats:\n${describeKnownFormats()}`,
          { file },
        );
      }
    }
    if (text.trim().length === 0) continue;
    if (text.startsWith('#')) {
      const fields = parseFieldsDirective(text);
      if (fields)
        return await finish(text.slice(text.indexOf(':') + 1).trim(), fields, true, current, lineStart);
      if (preamble.length < KEPT_PREAMBLE_LINES) preamble.push(text);
      continue;
    }
    // A CSV header may itself contain quoted newlines only in theory; exports never do.
    const delimiter = guessDelimiter(text);
    return await finish(text, splitHeader(text, delimiter), false, current, lineStart, delimiter);
  }
  if (preamble.length === 0 && buffer.trim().length === 0) {
    throw new EmptyInputError(`${file} is empty: there is no header and no row to analyse.`, { file });
  }
  const head = stripBom(buffer.slice(start, start + SAMPLE_CHARS).trimStart());
  const named = describeUnsupported({
    text: head.slice(0, head.indexOf('\n') === -1 ? undefined : head.indexOf('\n')),
    line,
    fieldsDirective: false,
    cells: [],
    preamble,
    sample: head,
  });
  throw new UnknownFormatError(
    `${file}: ${named ?? `no header line found in the first ${MAX_HEADER_CHARS / 1024} KB (only ${preambleLines} preamble lines).`}\nKnown formats:\n${describeKnownFormats()}`,
    { file },
  );

  /** Reads on until `SAMPLE_CHARS` from `from` are buffered (or the input ends): only to name a file we refuse. */
  async function readSample(from: number): Promise<string> {
    while (!exhausted && buffer.length - from < SAMPLE_CHARS) {
      const next = await chunks.next();
      if (next.done) exhausted = true;
      else buffer += next.value;
    }
    return buffer.slice(from, from + SAMPLE_CHARS);
  }

  async function finish(
    headerText: string,
    headers: string[],
    isFieldsDirective: boolean,
    headerLine: number,
    lineStart: number,
    delimiter: Delimiter = ',',
  ): Promise<Detection> {
    const format = chooseFormat(headers, isFieldsDirective);
    if (!format) {
      if (!isFieldsDirective) {
        // Rows whose header was dropped: the first row is data, read from its own line on.
        for (const candidate of FORMATS) {
          const inferred = candidate.headerless?.fieldsOf(splitHeader(headerText, ','));
          if (inferred === undefined) continue;
          return {
            format: candidate,
            delimiter: ',',
            headers: [...inferred],
            headerLine: 0,
            headerless: true,
            preamble,
            rest: buffer.slice(lineStart),
            restLine: headerLine,
          };
        }
      }
      const named = describeUnsupported({
        text: headerText,
        line: headerLine,
        fieldsDirective: isFieldsDirective,
        cells: isFieldsDirective ? headers : splitHeader(headerText, ','),
        preamble,
        sample: await readSample(lineStart),
      });
      if (named !== undefined) {
        throw new UnknownFormatError(`${file}: ${named}\nKnown formats:\n${describeKnownFormats()}`, {
          file,
          line: headerLine,
        });
      }
      const seen = headers.slice(0, 40).join(', ');
      throw new UnknownFormatError(
        `${file}: unknown format. Line ${headerLine} has the headers: ${seen}${headers.length > 40 ? ', …' : ''}\n` +
          `Known formats:\n${describeKnownFormats()}`,
        { file, line: headerLine },
      );
    }
    const refusal = format.refuses?.(preamble);
    if (refusal !== undefined) {
      throw new UnknownFormatError(`${file}: ${refusal}\nKnown formats:\n${describeKnownFormats()}`, {
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
      rest: buffer.slice(start),
      restLine: line,
    };
  }
}

/** How much text from the header on the unsupported-input check may look at (JSON keys). */
const SAMPLE_CHARS = 16 * 1024;

function stripBom(text: string): string {
  let index = 0;
  while (text.charCodeAt(index) === 0xfeff) index++;
  return index === 0 ? text : text.slice(index);
}

function splitHeader(text: string, delimiter: Delimiter): string[] {
  return (splitRecord(text, delimiter) ?? []).map((header) => header.replace(/^\uFEFF/, '').trim());
}
