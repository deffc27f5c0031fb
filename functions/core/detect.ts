/**
 * Detect: read the preamble and header of a decoded file and pick its format by header names.
 *
 * Accepts `#`-preamble lines (`#Software:` … `#Fields:` of raw logs, `#TYPE …` of Windows
 * PowerShell 5.1), blank leading lines, and `,` `;` or tab delimiters. The first other line is the
 * header. A file no format recognises fails with an {@link UnknownFormatError} that lists the
 * headers it saw and the formats we know.
 */
import { type Delimiter, splitRecord } from './csv-records.js';
import { EmptyInputError, TruncatedInputError, UnknownFormatError } from './errors.js';
import { normaliseHeader } from './formats/columns.js';
import { FORMATS, type FormatAdapter } from './formats/index.js';

/** How much text may precede the first data row before we give up looking for a header. */
const MAX_HEADER_CHARS = 256 * 1024;

export interface Detection {
  format: FormatAdapter;
  delimiter: Delimiter;
  headers: string[];
  /** 1-based line of the header (the `#Fields:` line for raw logs). */
  headerLine: number;
  /** Preamble lines such as `#Software: Microsoft Exchange Server`. */
  preamble: string[];
  /** Text after the header line, to be read as records. */
  rest: string;
  /** Line number of the first line of `rest`. */
  restLine: number;
}

/** Picks the delimiter that splits the header into the most cells. */
export function guessDelimiter(header: string): Delimiter {
  let best: Delimiter = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t'] as const) {
    const count = splitRecord(header, candidate)?.length ?? 0;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
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

function describeKnownFormats(): string {
  return FORMATS.map((format) => `  - ${format.label}: needs ${format.requiredHeaders.join(', ')}`).join(
    '\n',
  );
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
      const next = await chunks.next();
      if (next.done) exhausted = true;
      else buffer = buffer.slice(start) + next.value;
      if (!next.done) start = 0;
      continue;
    }
    const raw = buffer.slice(start, newline);
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const current = line++;
    start = newline + 1;
    if (text.trim().length === 0) continue;
    if (text.startsWith('#')) {
      const directive = /^#Fields:\s*(.*)$/i.exec(text);
      if (directive) return finish(directive[1] ?? '', true, current);
      preamble.push(text);
      continue;
    }
    // A CSV header may itself contain quoted newlines only in theory; exports never do.
    return finish(text, false, current);
  }
  if (preamble.length === 0 && buffer.trim().length === 0) {
    throw new EmptyInputError(`${file} is empty: there is no header and no row to analyse.`, { file });
  }
  throw new UnknownFormatError(
    `${file}: no header line found in the first ${MAX_HEADER_CHARS / 1024} KB (only ${preamble.length} preamble lines).\nKnown formats:\n${describeKnownFormats()}`,
    { file },
  );

  function finish(headerText: string, fieldsDirective: boolean, headerLine: number): Detection {
    const delimiter = fieldsDirective ? ',' : guessDelimiter(headerText);
    const headers = (splitRecord(headerText, delimiter) ?? []).map((header) =>
      header.replace(/^\uFEFF/, '').trim(),
    );
    const format = chooseFormat(headers, fieldsDirective);
    if (!format) {
      const seen = headers.slice(0, 40).join(', ');
      throw new UnknownFormatError(
        `${file}: unknown format. Line ${headerLine} has the headers: ${seen}${headers.length > 40 ? ', …' : ''}\n` +
          `Known formats:\n${describeKnownFormats()}`,
        { file, line: headerLine },
      );
    }
    if (headers.length < 2) {
      throw new TruncatedInputError(`${file}: the header on line ${headerLine} is incomplete.`, {
        file,
        line: headerLine,
      });
    }
    return { format, delimiter, headers, headerLine, preamble, rest: buffer.slice(start), restLine: line };
  }
}
