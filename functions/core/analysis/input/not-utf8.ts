/**
 * Lines of a UTF-8 file that are not UTF-8 (the decoder reads them as Latin-1: text/decode.ts
 * `NotUtf8`). A log is read on and says so; an export, which can be made again, fails as before.
 */

import { plural } from '../../kernel/counts-in-words.js';
import { closeEarly } from '../../text/byte-source.js';
import type { DecodedText, NotUtf8 } from '../../text/decode.js';
import type { SourceNote } from '../model/source-record.js';

/** `NOT_UTF8_LINES`, the note of a log with such lines. */
export function notUtf8Note(notUtf8: NotUtf8 | undefined): SourceNote | undefined {
  if (notUtf8 === undefined) return undefined;
  const { lines, firstLine } = notUtf8;
  const which =
    lines === 1 ? `line ${firstLine} is` : `${plural(lines, 'line')} (the first is line ${firstLine}) are`;
  return {
    code: 'NOT_UTF8_LINES',
    message:
      `${which} not valid UTF-8 and ${lines === 1 ? 'was' : 'were'} read as Latin-1: a syslog file holds each ` +
      "program's lines in the bytes it sent (a mail's raw 8-bit Subject, a NAS or Windows forwarder's own " +
      'code page). Their ASCII fields — what mail lines are read by — are unchanged; other characters may show wrong.',
  };
}

/**
 * `chunks` of an export, failing at the first chunk that held a line that is not UTF-8 with the error
 * a strict decoder gives (the file names the line, and is to be exported again).
 */
export async function* strictUtf8(
  chunks: AsyncIterator<string>,
  decoded: Pick<DecodedText, 'notUtf8'>,
): AsyncGenerator<string> {
  try {
    for (;;) {
      const next = await chunks.next();
      const notUtf8 = decoded.notUtf8;
      if (notUtf8 !== undefined) throw notUtf8.error;
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await closeEarly(chunks);
  }
}
