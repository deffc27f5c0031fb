/**
 * The flow for inputs that are not CSV-like (MTA logs, IIS SMTP logs, message trace JSON): their
 * first lines tell the format, and the format's own reader turns the text into events, with the
 * same accounting as CSV files: every row (a line, a JSON record) is analysed or skipped with a
 * reason; lines of other programs are skipped and only counted.
 */
import { rowMayMatter } from '../evidence/relevance.js';
import type { SkipReason } from '../formats/format-adapter.js';
import type { TextContext, TextFormat, TextHead, TextSink } from '../formats/text-format.js';
import { TEXT_FORMATS } from '../formats/text-formats.js';
import {
  type AnalysisInput,
  acceptEvent,
  emptyBatch,
  type ParsedBatch,
  type ParseListener,
  type ParseOptions,
  pump,
  skippedRow,
} from './batches.js';
import { HeldBatches, TimestampParser } from './timestamps.js';

/** How much of a file its format is told from. */
const HEAD_CHARS = 64 * 1024;
const HEAD_LINES = 200;

/** The chunks read for the head, then the rest: the caller reads the file from its start again. */
class Replay implements AsyncIterator<string> {
  public constructor(
    private readonly head: string[],
    private readonly rest: AsyncIterator<string>,
    private readonly ended: boolean,
  ) {}

  public async next(): Promise<IteratorResult<string>> {
    const chunk = this.head.shift();
    if (chunk !== undefined) return { done: false, value: chunk };
    if (this.ended) return { done: true, value: undefined };
    return await this.rest.next();
  }

  public async return(): Promise<IteratorResult<string>> {
    this.head.length = 0;
    return (await this.rest.return?.()) ?? { done: true, value: undefined };
  }
}

/** The head of a text, as formats are told from it. */
export function textHead(text: string, complete: boolean): TextHead {
  const clean = text.replace(/\uFEFF/g, '');
  const lines = clean.split('\n');
  // The last piece is a whole line only when the text ended there.
  if (!complete) lines.pop();
  return { text: clean, lines: lines.slice(0, HEAD_LINES).map((line) => line.replace(/\r$/, '')) };
}

/** The format of a text that is not CSV-like, told from its first {@link HEAD_CHARS} characters. */
export function textFormatOf(head: TextHead): TextFormat | undefined {
  return TEXT_FORMATS.find((format) => format.sniff(head));
}

/**
 * Reads the head of the decoded text and tells whether it is one of the {@link TEXT_FORMATS}.
 * Returns the chunks to read from the start (the head replayed).
 */
export async function sniffText(
  chunks: AsyncIterator<string>,
): Promise<{ format: TextFormat | undefined; chunks: AsyncIterator<string> }> {
  const read: string[] = [];
  let length = 0;
  let ended = false;
  while (length < HEAD_CHARS) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    read.push(next.value);
    length += next.value.length;
  }
  const text = read.join('');
  const format = textFormatOf(textHead(text.slice(0, HEAD_CHARS), ended && text.length <= HEAD_CHARS));
  return { format, chunks: new Replay(read, chunks, ended) };
}

/** Parses a text-format input; see {@link parseInput} for the contract. */
export async function parseText(
  format: TextFormat,
  chunks: AsyncIterator<string>,
  input: AnalysisInput,
  options: ParseOptions,
  listener: ParseListener,
  bytesRead: () => number,
): Promise<'done' | 'stopped'> {
  listener.format(format.id);
  const timestamps = new TimestampParser();
  const held = new HeldBatches<ParsedBatch>(timestamps);
  const context: TextContext = {
    file: input.name,
    timestamps,
    now: options.now ?? new Date(),
    isRelevant: (eventId, source, status, directionality) =>
      rowMayMatter(eventId, source, status, directionality, options.inferring),
  };
  if (input.modified !== undefined) context.modified = input.modified;
  if (options.year !== undefined) context.year = options.year;
  const reader = format.createReader(context);

  let batch = emptyBatch();
  let rowOpen = false;
  let rowSkipped = false;
  /** Closes the current row: analysed unless it was skipped. */
  const closeRow = (): void => {
    if (rowOpen && !rowSkipped) batch.rowsAnalysed++;
    rowOpen = false;
  };
  const skip = (line: number, reason: SkipReason, message: string, column?: string): void => {
    rowSkipped = true;
    batch.skips.push(skippedRow(line, reason, message, column));
  };
  const sink: TextSink = {
    row() {
      closeRow();
      batch.rowsRead++;
      rowOpen = true;
      rowSkipped = false;
    },
    count(reason) {
      rowSkipped = true;
      const counted = batch.counted ?? {};
      counted[reason] = (counted[reason] ?? 0) + 1;
      batch.counted = counted;
    },
    skip,
    event: (event) => acceptEvent(event, batch, timestamps, skip),
  };
  const deliver = async (last: boolean): Promise<void> => {
    closeRow();
    const full = batch;
    batch = emptyBatch();
    full.bytesRead = bytesRead();
    for (const ready of held.take(full, last)) await listener.batch(ready);
  };
  return await pump(chunks, listener, {
    push: (text) => reader.push(text, sink),
    end: () => reader.end(sink),
    notes: () => batch.notes.push(...reader.notes()),
    deliver,
    holding: () => held.holding,
  });
}
