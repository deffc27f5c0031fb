/**
 * NUL bytes in a tracking log or an export: a file written as its host crashed or lost power holds a
 * run of NULs where the last writes were lost, and the first line written after the reboot follows
 * them. Mail logs drop the NULs a line begins with (formats/text-format.ts, `leadingNuls`); CSV-like
 * files drop every run, before their rows are split. Both say so with the same note ({@link nulBytesNote}).
 *
 * Only a chunk that holds a NUL pays: the others cost one `indexOf`.
 */
import { groupDigits, plural } from '../../kernel/counts-in-words.js';
import type { SourceNote } from '../model/source-record.js';

const NUL_RUN = /\0+/g;

export class NulBytes {
  private nuls = 0;
  /** Runs at the start of a line, and inside one (a line cut by the lost writes, glued to the next). */
  private leading = 0;
  private inside = 0;
  /** Only NULs since the last line end (so far): a run the next chunk goes on with began a line. */
  private lineStart = true;
  /** The last chunk ended in a run, which the next one may go on with. */
  private inRun = false;

  /** `text` without its NUL bytes. */
  public strip(text: string): string {
    if (text.length === 0) return text;
    if (text.indexOf('\0') === -1) {
      this.lineStart = text.charCodeAt(text.length - 1) === 10;
      this.inRun = false;
      return text;
    }
    const stripped = text.replace(NUL_RUN, (run: string, offset: number) => {
      this.nuls += run.length;
      const atStart = offset === 0 ? this.lineStart : text.charCodeAt(offset - 1) === 10;
      // A run the previous chunk ended in is counted once.
      if (!(offset === 0 && this.inRun)) {
        if (atStart) this.leading++;
        else this.inside++;
      }
      if (offset + run.length === text.length) this.lineStart = atStart;
      return '';
    });
    this.inRun = text.charCodeAt(text.length - 1) === 0;
    if (!this.inRun) this.lineStart = text.charCodeAt(text.length - 1) === 10;
    return stripped;
  }

  /** `NUL_BYTES_REMOVED`, when some were. */
  public note(): SourceNote | undefined {
    return nulBytesNote({ nuls: this.nuls, leading: this.leading, inside: this.inside });
  }
}

/** NUL bytes a reader removed, and where they stood. */
export interface NulCounts {
  nuls: number;
  /** Runs at the start of a line, and inside one. */
  leading: number;
  inside: number;
  /** Of the lines that began with a run, those that held nothing else (mail logs count them). */
  alone?: number;
}

/** `NUL_BYTES_REMOVED`, when some were: the note of every reader that removes them. */
export function nulBytesNote({ nuls, leading, inside, alone = 0 }: NulCounts): SourceNote | undefined {
  if (nuls === 0) return undefined;
  const where = [
    leading > 0 ? `${plural(leading, 'line')} began with a run of them` : '',
    alone > 0 ? `${groupDigits(alone)} of them held nothing else` : '',
    inside > 0 ? `${plural(inside, 'run')} stood inside a line` : '',
  ].filter((part) => part !== '');
  return {
    code: 'NUL_BYTES_REMOVED',
    message:
      `${groupDigits(nuls)} NUL bytes were removed (${where.join(', ')}), as a log holds where writes were ` +
      'lost when its host crashed or lost power: the text after them was read.',
  };
}
