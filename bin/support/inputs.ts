/**
 * Local files as analysis inputs: paths and directories expanded, sorted so rolled-over logs
 * (`MSGTRK…-1.LOG`, `-2.LOG`) are read in order.
 *
 * A file named on the command line is always analysed (and fails if it cannot be). A file found by
 * walking a directory is analysed when it looks like an input — a `.log`, `.csv` or `.gz` file, or
 * one whose first lines are a header relay-audit knows, or a syslog file with a mail line (`messages`,
 * `syslog`, `maillog-20261129`, `mail.log.1`: rotated and RHEL names have no `.log`) — and is
 * otherwise listed as not analysed, with why: folders of logs also hold the scripts, notes and
 * reports written beside them, and a copy of /var/log the syslog files of other programs. So is a
 * file found that is positively what holds no refusals to read, when its text holds no refusal text
 * either, whatever its extension: an Exchange log of a kind not read (receive protocol, agent,
 * connectivity logs), a syslog `.log` without a mail line (`auth.log`), the package manager's logs,
 * an Office lock file (`~$export.csv`). So is an entry the walk cannot follow (a symbolic-link loop, a
 * link back to a folder it is in, a dangling link, a named pipe): the walk goes on with the next one.
 * One it cannot open (a folder it may not read, a path too long) may hold refusals (below).
 *
 * Some entries found are not analysed by their name, whatever they hold: hidden ones (`.git`,
 * `.DS_Store`) and the `config/` folder at the top of a folder named (the organisation's
 * configuration). Their files are searched for refusal text all the same; hidden folders are not
 * looked into, only counted.
 *
 * Some files are passed over as what they are, never failing the run: a file another option of the
 * same run names (`--accepted-domains`, `--connectors`: the run's configuration), relay-audit's own
 * findings export (`findings --format csv > forwarding.csv`, saved beside the logs) and a store's
 * folder (the `--db` of the run, or any LevelDB database folder): its files hold refusals by design.
 *
 * A file passed over that may hold refusals — an archive, data compressed in a codec relay-audit
 * does not read, text with a refusal in it but in no format it reads, a report whose table is an
 * export relay-audit reads (`ConvertTo-Html`, report-tables.ts) — is named in `mayHoldRefusals`:
 * the run then cannot say "nothing to fix" (a wrong all-clear is the worst outcome), as when such a
 * file is named and fails. A tar archive, named or found, is read as the files in it (tar-inputs.ts)
 * when the caller asks for it (`analyze`; `upload` sends files whole).
 */
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { findingsCsvStart } from '../../functions/api/csv-export.js';
import type { AnalysisInput } from '../../functions/core/analysis/analyze.js';
import { REFUSAL_MARKER_REACH, settledMarkerIn } from '../../functions/core/analysis/evidence/rejections.js';
import { formatLabel } from '../../functions/core/analysis/formats/labels.js';
import { programOf } from '../../functions/core/analysis/formats/mta-log.js';
import { isLate } from '../../functions/core/analysis/formats/text-format.js';
import { detectFormat } from '../../functions/core/analysis/input/detect.js';
import { lateFormatWithin, sniffText } from '../../functions/core/analysis/input/parse-text.js';
import {
  exchangeLogNotRead,
  PROGRAM_ERROR_INSTEAD,
  powerShellShown,
  productLogIn,
  programErrorIn,
  READS,
} from '../../functions/core/analysis/input/unsupported-inputs.js';
import { plural } from '../../functions/core/kernel/counts-in-words.js';
import { ArgumentError, RelayAuditError } from '../../functions/core/kernel/errors.js';
import { closeEarly } from '../../functions/core/text/byte-source.js';
import { decodeBytes } from '../../functions/core/text/decode.js';
import { decompressed, PackedInputError } from '../../functions/core/text/decompress.js';
import { sourceId } from '../../functions/store/table-design.js';
import { exportTableIn } from './report-tables.js';
import { memberPath, tarListing } from './tar-inputs.js';
import { searchText } from './text-search.js';

/**
 * Why an entry is set aside by its name alone: `hidden` (a name starting with `.`: tool state such
 * as `.git`, `.DS_Store`, editor swap files), or `configuration`.
 */
type SetAside = 'hidden' | 'configuration';

/**
 * Whether an entry found by walking a folder named on the command line, or a member of a tar
 * archive, is set aside by its name, whatever it holds. `depth` is 0 for the folder's (or the
 * archive's) own entries: a `config/` there holds the organisation's configuration
 * (`sample-logs/config/accepted-domains.csv`, as the S3 bucket's `config/` prefix does); a `config`
 * folder deeper down is read like any other. What is set aside is not analysed, but a file set aside
 * is searched for refusal text (see {@link setAsideReason}), so no refusal is passed over in silence.
 */
function setAsideByName(name: string, depth: number): SetAside | undefined {
  // `.` and `..` are no names: a tar member's path may hold them (`logs/./mail.log`).
  if (name.startsWith('.') && name !== '.' && name !== '..') return 'hidden';
  return depth === 0 && name === 'config' ? 'configuration' : undefined;
}

/** A file found under the command-line paths, with what `stat` said of it. */
interface FoundFile {
  path: string;
  info: Stats;
  /** Found by walking a directory (not named on the command line). */
  walked: boolean;
  /** Set aside by its name (or its folder's) in the walk of the folder `root` named on the command line. */
  setAside?: { kind: SetAside; root: string };
}

/** A file found in a directory that is not analysed, and why. */
export interface NotAnalysedFile {
  /** As shown to the user: relative to the working directory (absolute when named so outside it). */
  file: string;
  reason: string;
}

export interface LocalInputs {
  inputs: AnalysisInput[];
  /** Files found by walking directories that do not look like logs or exports. */
  notAnalysed: NotAnalysedFile[];
  /**
   * Of `notAnalysed`, the files (as shown) that may hold relay refusals: archives, compressed files,
   * text with a refusal in it. Unread, they make a run that found nothing no all-clear, and fail it.
   */
  mayHoldRefusals: string[];
}

/**
 * The usage error of a command given nothing it can take (`analyze`, `upload`): no file found, or only
 * files that are not logs or exports, each named with why. `verb`: what the command would have done.
 */
export function nothingFoundError(
  positionals: readonly string[],
  notAnalysed: readonly NotAnalysedFile[],
  verb: 'analysed' | 'uploaded',
): ArgumentError {
  const others = notAnalysed.map(({ file, reason }) => `\n  ${file} — ${reason}`).join('');
  return new ArgumentError(
    `no ${others ? 'logs or exports' : 'files'} found in ${positionals.join(', ')}${others ? `; not ${verb}:${others}` : ''}`,
  );
}

export interface LocalInputOptions {
  /** Read a tar archive as the files in it (analysis), rather than as one file (upload). */
  tarMembers?: boolean;
  /**
   * Files named by options of the same run (`--accepted-domains`), by the option: configuration,
   * passed over when found in a folder (a file named on the command line is still read).
   */
  configuration?: readonly { option: string; path: string }[];
  /** The embedded store's folder of the run (`--db`): never walked into, wherever it is. */
  store?: string;
}

/** Why a file is not analysed, and whether it may hold refusals all the same. */
interface NotRead {
  reason: string;
  mayHoldRefusals: boolean;
}

/** Extensions of logs and exports: such a file found in a directory is always analysed. */
const INPUT_EXTENSIONS: ReadonlySet<string> = new Set(['.log', '.csv', '.gz']);

/**
 * Notes and scripts: written by people, they name the codes they explain or search for
 * (`sample-logs/README.md`, a script filtering on 5.7.64), so their text is not searched for refusals.
 */
const NOTE_EXTENSIONS = ['.md', '.markdown', '.ps1', '.psm1', '.psd1'];

/** Documents and pictures: whatever text they hold is compressed inside (Office files are ZIP archives). */
const DOCUMENT_EXTENSIONS = ['.docx', '.pptx', '.odt', '.pdf', '.png', '.jpg', '.jpeg', '.gif'];

/**
 * Files never read as logs or exports, by extension, with why they are passed over; the content of
 * anything else (`.txt`, no extension…) is read to see whether it starts like a log or export.
 */
const OTHER_EXTENSIONS: ReadonlyMap<string, string> = new Map([
  ...[...NOTE_EXTENSIONS, ...DOCUMENT_EXTENSIONS].map((extension): [string, string] => [
    extension,
    `not a log or export: ${extension}`,
  ]),
  ['.xlsx', 'an Excel workbook (.xlsx): save the sheet as CSV to analyse it'],
  ['.zip', 'a ZIP archive: extract the logs from it to analyse them'],
]);

/**
 * Reports PowerShell writes instead of an export (`ConvertTo-Html`, `Export-Clixml`): never read as
 * logs, but searched for refusal text like any file passed over.
 */
const REPORT_EXTENSIONS: ReadonlySet<string> = new Set(['.xml', '.html', '.htm']);

/** Of {@link OTHER_EXTENSIONS}, what may hold refusals: an archive of logs, an export saved as a workbook. */
const UNREAD_EXTENSIONS: ReadonlySet<string> = new Set(['.zip', '.xlsx']);

/**
 * Extensions of archives and compressed files, for those whose bytes did not tell (lzip, lzma,
 * Brotli have no signature relay-audit checks): they may hold logs, so they count as unread.
 */
const PACKED_EXTENSIONS: ReadonlySet<string> = new Set([
  '.xz',
  '.bz2',
  '.zst',
  '.lz4',
  '.lz',
  '.lzma',
  '.z',
  '.br',
  '.7z',
  '.rar',
  '.tar',
  '.tgz',
  '.tbz2',
  '.txz',
  '.cab',
]);

/**
 * The most of a line cut by a chunk's end that is kept for the next chunk: a marker cut in two is
 * found whole, and the start of the marker's line is at hand to tell what wrote it.
 */
const LINE_TAIL_CHARS = 4096;

/** How much of the marker's line, either side of it, is kept to tell what wrote it. */
const LINE_CONTEXT_CHARS = 1024;

/** What to do with a report (`ConvertTo-Html`, `Export-Clixml`) instead of an export. */
const REPORT_ADVICE =
  'export the rows with Export-Csv rather than ConvertTo-Html or Export-Clixml ' +
  '(see "Exports that work" in the README) and analyse that';

/** A mail server's syslog tag in a line: `postfix/smtp`, `postfix-out/smtp`, `sm-mta`, `sendmail`, `exim4`. */
const MTA_TAG = /\b(postfix(?:-[\w-]+)?\/[\w-]+|sm-mta|sendmail|exim4?)\b/i;

/** Postfix's and sendmail's status of a delivery (`dsn=5.7.64`), on the line even without the tag. */
const MTA_DSN = /\bdsn=\d\.\d/;

/** Identity of a file or directory whatever path reaches it (symbolic links, `..`): device and inode. */
function identity(info: { dev: number; ino: number }, path: string): string {
  // Some file systems report no inode (0); the resolved path is the best identity there.
  return info.ino === 0 ? resolve(path) : `${info.dev}:${info.ino}`;
}

/**
 * Why `path` could not be followed or read, from the error of `stat`/`readdir`. A link loop or one
 * to nothing leads to no file; anything else the walk cannot open (a folder it may not read, as
 * Debian's /var/log/exim4 to another user, a path too long) may hold refusals: the run fails.
 */
async function unreadable(path: string, error: unknown): Promise<NotRead> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ELOOP') return { reason: 'a symbolic-link loop: not followed', mayHoldRefusals: false };
  if (code === 'ENOENT') {
    const link = await lstat(path).then(
      (info) => info.isSymbolicLink(),
      () => false,
    );
    const reason = link ? 'a symbolic link to nothing (dangling): not followed' : 'no such file or directory';
    return { reason, mayHoldRefusals: false };
  }
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENAMETOOLONG'
        ? 'its path is too long to open (ENAMETOOLONG)'
        : (code ?? (error instanceof Error ? error.message : String(error)));
  const advice =
    code === 'ENAMETOOLONG'
      ? 'move or copy its files to a shorter path and analyse them there'
      : 'run relay-audit as a user who can read it (with sudo, or as a member of its group), or copy its files to a folder you can read and analyse them there';
  return {
    reason: `cannot be read: ${why}, and it may hold relay refusals: ${advice}`,
    mayHoldRefusals: true,
  };
}

/** Why an entry that is neither a file nor a directory is not read, by what it is. */
function notAFile(info: Stats): string {
  if (info.isFIFO())
    return 'a named pipe (FIFO): not read, as reading it may wait for ever; name it to read it';
  if (info.isSocket()) return 'a socket: not read';
  return 'a device: not read';
}

/** What the walk of the command-line paths found. */
interface Walked {
  files: FoundFile[];
  /** The directories read, by {@link identity}, with the path the walk read each by. */
  visited: Map<string, string>;
  /** Entries that cannot be followed or read, or are no file, with why (and whether they may hold refusals). */
  passed: { path: string; reason: string; mayHoldRefusals?: boolean; loopTo?: string }[];
  hidden: HiddenEntries;
  /** The {@link identity} of the run's store folder, when it exists. */
  store?: string;
}

/** Where the walk is: under which folder named on the command line, how deep, and in what set aside, if anything. */
interface Walk {
  root: string;
  /** 0 for the entries of `root` itself. */
  depth: number;
  setAside: SetAside | undefined;
}

/**
 * Adds the files under `path` to `walked`. Each directory is read once, so a symbolic link back to
 * an ancestor (`logs/all -> ..`) cannot send the walk round in circles. An entry found by walking
 * that cannot be followed, read or is not a file goes to `passed` with why, and the walk goes on; a
 * path named on the command line that cannot be read is a usage error, and a named pipe named there
 * is read (`analyze <(zcat old.LOG.gz)`). A hidden entry found that is not a file is counted, never
 * looked into: a `.git` can be huge.
 */
async function expand(path: string, walked: Walked, at?: Walk): Promise<void> {
  const hiddenIn = at?.setAside === 'hidden' ? at.root : undefined;
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    if (hiddenIn !== undefined) return walked.hidden.add(hiddenIn, relative(hiddenIn, path));
    const why = await unreadable(path, error);
    if (at === undefined) throw new ArgumentError(`${path}: ${why.reason}`);
    walked.passed.push({ path, ...why });
    return;
  }
  if (hiddenIn !== undefined && !info.isFile()) {
    return walked.hidden.add(hiddenIn, `${relative(hiddenIn, path)}${info.isDirectory() ? '/' : ''}`);
  }
  if (info.isDirectory()) {
    const id = identity(info, path);
    const seen = walked.visited.get(id);
    if (seen !== undefined) {
      // A link back to a folder the walk is in (`logs/all -> ..`) is a loop, said as one; the same
      // folder reached again otherwise (named twice, or by a link beside it) is walked once, silently.
      const inside = relative(seen, path);
      if (at !== undefined && inside !== '' && !isOutside(inside))
        walked.passed.push({ path, reason: 'a symbolic-link loop: not followed', loopTo: seen });
      return;
    }
    walked.visited.set(id, path);
    let entries: string[];
    try {
      entries = await readdir(path);
    } catch (error) {
      const why = await unreadable(path, error);
      if (at === undefined) throw new ArgumentError(`${path}: ${why.reason}`);
      walked.passed.push({ path, ...why });
      return;
    }
    const store = storeFolder(entries, id === walked.store);
    if (store !== undefined) {
      walked.passed.push({ path, reason: store });
      return;
    }
    entries.sort(naturalOrder);
    const root = at?.root ?? path;
    const depth = at === undefined ? 0 : at.depth + 1;
    for (const name of entries) {
      const setAside = setAsideByName(name, depth) ?? at?.setAside;
      await expand(join(path, name), walked, { root, depth, setAside });
    }
  } else if (info.isFile() || (at === undefined && info.isFIFO())) {
    const setAside = at?.setAside === undefined ? {} : { setAside: { kind: at.setAside, root: at.root } };
    walked.files.push({ path, info, walked: at !== undefined, ...setAside });
  } else {
    walked.passed.push({ path, reason: notAFile(info) });
  }
}

/**
 * Why a folder is not walked when it is a store: the run's own (`--db`, `own`), or any folder with
 * LevelDB's files (`CURRENT`, `LOCK`, `MANIFEST-*`), as relay-audit's store is (another run's
 * `--db`, a copy). Its `.ldb` and `.log` files hold findings, refusal text and all, in LevelDB's
 * own form, and change while a run writes them: read as logs they fail the run.
 */
function storeFolder(entries: readonly string[], own: boolean): string | undefined {
  if (own) return "the store of this run (--db): relay-audit's own database, not analysed";
  const levelDb =
    entries.includes('CURRENT') &&
    entries.includes('LOCK') &&
    entries.some((name) => name.startsWith('MANIFEST-'));
  return levelDb
    ? "a LevelDB database (CURRENT, LOCK, MANIFEST-*), as relay-audit's store (--db) is: not logs, not analysed"
    : undefined;
}

/** Natural order of names, so `…-2.LOG` comes before `…-10.LOG`. */
function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** How many hidden entries of a folder or archive are named in its line; the rest are counted. */
const HIDDEN_NAMES_SHOWN = 5;

/**
 * Hidden entries passed over without refusal text in them, by the folder named on the command line
 * (or tar archive) they are in: each such folder gets one line of what was not analysed.
 */
class HiddenEntries {
  private readonly byRoot = new Map<string, { entries: Set<string>; archive: boolean }>();

  /** `entry` is relative to `root`; a folder's ends in `/`. */
  public add(root: string, entry: string, archive = false): void {
    const known = this.byRoot.get(root) ?? { entries: new Set<string>(), archive };
    known.entries.add(entry);
    this.byRoot.set(root, known);
  }

  /** One line per folder or archive, its `file` the folder or archive as `shown`. */
  public lines(shown: (path: string) => string): NotAnalysedFile[] {
    return [...this.byRoot].map(([root, { entries, archive }]) => {
      const sorted = [...entries].sort(naturalOrder);
      const more = sorted.length - HIDDEN_NAMES_SHOWN;
      const names = sorted.slice(0, HIDDEN_NAMES_SHOWN).join(', ') + (more > 0 ? `, and ${more} more` : '');
      const searched = archive
        ? 'Their files were searched for relay-refusal text (any that holds some is listed apart); ' +
          'extract the archive (tar xf) and name one on the command line to analyse it'
        : 'Hidden files were searched for relay-refusal text (any that holds some is listed apart), ' +
          'hidden folders were not looked into; name one on the command line to analyse it';
      return {
        file: shown(root),
        reason: `${plural(sorted.length, 'hidden entry', 'hidden entries')} (names starting with "."), not analysed: ${names}. ${searched}`,
      };
    });
  }
}

/**
 * Why a file set aside by its name is not analysed when it holds refusal text, and how to have it
 * analysed: it is listed with the files that may hold refusals, and fails the run.
 */
function setAsideReason(kind: SetAside, archive: boolean, refusal: RefusalText): string {
  const hidden = archive
    ? 'a hidden member (a name in its path starts with ".")'
    : 'a hidden file (its name starts with ".")';
  const what =
    kind === 'hidden'
      ? hidden
      : `in the configuration folder (config/ at the top of ${archive ? 'the archive' : 'a folder named on the command line'})`;
  const advice = archive
    ? 'extract the archive (tar xf) and name the file on the command line to analyse it'
    : kind === 'hidden'
      ? 'rename it without the leading "." or name it on the command line to analyse it'
      : 'move it out of config/ or name it on the command line to analyse it';
  return `${what}: not analysed, yet it holds relay-refusal text (${refusal.where}): ${advice}`;
}

/**
 * How far a syslog file found in a directory is read for a mail line when its first lines have none:
 * a relay's `messages` or `syslog` has one within minutes of traffic; past this, it is listed as not
 * analysed, with the advice to name it (then it is read whole).
 */
const SYSLOG_SNIFF_CHARS = 16 * 1024 * 1024;

/**
 * Why a file found in a directory is not analysed, or undefined when it looks like a log or export:
 * by its extension, else by its first bytes (an archive, compressed data) and lines (the header
 * detection the analysis itself uses). `open` reads the file (or a member of a tar archive).
 */
async function whyNotAnalysed(
  name: string,
  open: () => AsyncIterable<Uint8Array>,
): Promise<NotRead | undefined> {
  const extension = extname(name).toLowerCase();
  if (basename(name).startsWith(OFFICE_LOCK_PREFIX))
    return withRefusalCheck(OFFICE_LOCK, extension, name, open);
  const known = OTHER_EXTENSIONS.get(extension);
  if (known !== undefined) return { reason: known, mayHoldRefusals: UNREAD_EXTENSIONS.has(extension) };
  const head = await headOf(name, open);
  if (head?.split('\n')[0]?.replace(/\r$/, '') === OWN_FINDINGS_HEADER)
    return { reason: OWN_FINDINGS, mayHoldRefusals: false };
  // An Exchange log of a kind not read (receive protocol, agent, connectivity logs), told by its own
  // `#Log-type:`: whatever its extension, passed over unless it holds refusal text.
  const exchangeLog = head === undefined ? undefined : exchangeLogNotRead(head);
  if (exchangeLog !== undefined)
    return passedOverWithoutRefusal(`${exchangeLog} It holds no relay refusal.`, name, open);
  const otherProgram =
    head === undefined ? undefined : OTHER_PROGRAM_LOGS.find(({ is }) => is.test(head.trimStart()));
  if (otherProgram !== undefined)
    return passedOverWithoutRefusal(
      `${otherProgram.what}, not a mail log: no relay refusals to read`,
      name,
      open,
    );
  if (INPUT_EXTENSIONS.has(extension)) {
    // A syslog file with no mail line in it (auth.log, kern.log) is passed over as one without `.log` is.
    const start = await howItStarts(name, open, { headerToo: false });
    return typeof start === 'object' && 'syslog' in start
      ? passedOverWithoutRefusal(start.syslog, name, open)
      : undefined;
  }
  if (REPORT_EXTENSIONS.has(extension))
    return withRefusalCheck(`not a log or export: ${extension}`, extension, name, open);
  const start = await howItStarts(name, open);
  if (start === 'input') return undefined;
  if (typeof start === 'object' && 'packed' in start) return { reason: start.packed, mayHoldRefusals: true };
  if (PACKED_EXTENSIONS.has(extension)) {
    return {
      reason: `compressed or archived (${extension}) in a form relay-audit does not read: decompress or extract it and analyse what that gives`,
      mayHoldRefusals: true,
    };
  }
  const reason =
    start !== 'unknown'
      ? start.syslog
      : // JSON is read when it is a message trace (Graph pages, ConvertTo-Json); other JSON is settings or data.
        extension === '.json'
        ? 'not a log or export: .json that is no message trace'
        : `not a log or export: ${extension || 'no extension'}, and no header relay-audit knows`;
  return withRefusalCheck(reason, extension, name, open);
}

/**
 * The header line of relay-audit's own findings export (`findings --format csv`, the dashboard's
 * `/findings.csv`), as it writes it, without the byte order mark and line end.
 */
const OWN_FINDINGS_HEADER = findingsCsvStart()
  .replace(/^\uFEFF/, '')
  .trimEnd();

/** Why relay-audit's own findings export is not analysed: its refusals are already findings. */
const OWN_FINDINGS =
  "relay-audit's own findings export (findings --format csv): its output, not a log or export, not analysed";

/**
 * How much of a file's start {@link headOf} reads: a findings export's header, and the `#` lines
 * Exchange writes at the top of its logs, are far shorter.
 */
const HEAD_OF_FILE_CHARS = 4096;

/**
 * A file's start (decoded and decompressed as an input is), at most {@link HEAD_OF_FILE_CHARS};
 * `undefined` when it cannot be read as text.
 */
async function headOf(name: string, open: () => AsyncIterable<Uint8Array>): Promise<string | undefined> {
  const bytes = open()[Symbol.asyncIterator]();
  const stream = { [Symbol.asyncIterator]: () => bytes };
  try {
    const decoded = await decodeBytes(decompressed(stream, name), name);
    let text = '';
    for await (const chunk of decoded.chunks) {
      text += chunk;
      if (text.length >= HEAD_OF_FILE_CHARS) break;
    }
    return text.slice(0, HEAD_OF_FILE_CHARS);
  } catch {
    return undefined;
  } finally {
    await closeEarly(bytes);
  }
}

/**
 * Logs of other programs a copy of /var/log holds that are no syslog files, told by their first line:
 * the package manager's (`dpkg.log`, `apt/history.log`).
 */
const OTHER_PROGRAM_LOGS: readonly { is: RegExp; what: string }[] = [
  {
    is: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (?:startup|status|install|upgrade|configure|remove|purge|trigproc|conffile) /,
    what: "dpkg's log of packages installed and removed (dpkg.log)",
  },
  {
    is: /^Start-Date: \d{4}-\d{2}-\d{2} {2}\d{2}:\d{2}:\d{2}\s*$/m,
    what: "apt's history of package operations (history.log)",
  },
];

/** How an Office owner (lock) file's name starts: `~$export.csv` beside `export.csv` open in Excel. */
const OFFICE_LOCK_PREFIX = '~$';

/** Why an Office owner file is not analysed: it holds who opened the document, nothing else. */
const OFFICE_LOCK =
  'an Office lock file (the file was open in Excel or Word when copied): not a log or export, not analysed';

/**
 * A file found that is positively something that holds no refusals to read (`reason`), passed over
 * when its text holds no refusal; with refusal text, it is analysed, and fails naming its line.
 */
async function passedOverWithoutRefusal(
  reason: string,
  name: string,
  open: () => AsyncIterable<Uint8Array>,
): Promise<NotRead | undefined> {
  const refusal = await refusalTextIn(name, open);
  return refusal === undefined ? { reason, mayHoldRefusals: false } : undefined;
}

/**
 * A file passed over for `reason`, searched for refusal text: Format-List output, a pasted bounce, a
 * SIEM's own export, a mail log in a form not read hold refusals that would otherwise go unseen.
 */
async function withRefusalCheck(
  reason: string,
  extension: string,
  name: string,
  open: () => AsyncIterable<Uint8Array>,
): Promise<NotRead> {
  const refusal = await refusalTextIn(name, open);
  if (refusal !== undefined) {
    return {
      reason: `${reason}, yet it holds relay-refusal text (${refusal.where}): ${adviceFor(extension, refusal)}`,
      mayHoldRefusals: true,
    };
  }
  const table = await exportTableIn(name, open);
  if (table === undefined) return { reason, mayHoldRefusals: false };
  const lists =
    table.unjoinedList === undefined
      ? ''
      : `, and its lists read ${table.unjoinedList}, as written without -join`;
  return {
    reason:
      `${reason}, yet its table is a ${formatLabel(table.format, 'short')} (told by ${table.toldBy}): its rows ` +
      `may hold relay refusals, which relay-audit does not read in a report${lists}: ${REPORT_ADVICE}`,
    mayHoldRefusals: true,
  };
}

/** Refusal text found in a file passed over, and what the file looks like around it. */
interface RefusalText {
  /** The marker and its line, as told to the user: `5.7.64 on line 9`. */
  where: string;
  /** The marker's line (at most {@link LINE_CONTEXT_CHARS} either side of the marker). */
  line: string;
  /** The file's first character that is not white space: `<` or `{` tell markup and JSON. */
  opening: string;
  /** The file's first {@link HEAD_CHARS} characters: what wrote it, when its own lines tell. */
  head: string;
}

/** How much of a file's start {@link RefusalText.head} keeps. */
const HEAD_CHARS = 4096;

/** What to do with a file that holds refusal text in no form relay-audit reads, by what wrote it. */
function adviceFor(extension: string, refusal: RefusalText): string {
  const mailServer = mailServerOf(refusal.line);
  if (mailServer !== undefined) {
    return (
      `it looks like a ${mailServer} in a form relay-audit does not read: analyse the log as the server ` +
      'writes it (/var/log/mail.log, maillog) or as journalctl -o short-iso prints it, or name the file to see why it is not read'
    );
  }
  if (REPORT_EXTENSIONS.has(extension) || refusal.opening === '<') return REPORT_ADVICE;
  const product = productLogIn(`${refusal.head}\n${refusal.line}`);
  if (product !== undefined) {
    const instead =
      product.instead === undefined ? ` (${READS}); ${NAME_IT}` : `: ${product.instead}, or ${NAME_IT}`;
    return `it looks like ${product.what}, which relay-audit does not read${instead}`;
  }
  if (extension === '.json' || refusal.opening === '{' || refusal.opening === '[') {
    return (
      'export the rows with Export-Csv rather than ConvertTo-Json (see "Exports that work" in the README) ' +
      `and analyse that, or ${NAME_IT}`
    );
  }
  if (programErrorIn(refusal.line)) {
    return `it looks like a program's own output, with a refusal it was told as it sent: ${PROGRAM_ERROR_INSTEAD}, or ${NAME_IT}`;
  }
  // PowerShell's Format-List or Format-Table output, saved or captured in a transcript.
  if (powerShellShown(refusal.head, refusal.line)) {
    return `export the rows as CSV (Export-Csv, see "Exports that work" in the README) and analyse that, or ${NAME_IT}`;
  }
  return `it is in no form relay-audit reads (${READS}); ${NAME_IT}`;
}

/** How the advice for a file passed over ends: a file named is read, and fails saying what it is. */
const NAME_IT = 'name the file to see why it is not read';

/** What wrote a refusal line, when it is a mail server's: `Postfix log`, `mail server's log`. */
function mailServerOf(line: string): string | undefined {
  const tag = MTA_TAG.exec(line)?.[1];
  const program = tag === undefined ? undefined : programOf(tag);
  if (program !== undefined) return formatLabel(`${program}-log`, 'short');
  // journalctl -o verbose or json-pretty: the tag is on a line of its own.
  return MTA_DSN.test(line) ? "mail server's log" : undefined;
}

/**
 * The first refusal text anywhere in the file, in its encoding (UTF-8, UTF-16 with or without a
 * BOM, gzip-compressed too), read chunk by chunk: memory stays bounded whatever its size, and the
 * search stops at the first marker.
 */
function refusalTextIn(
  name: string,
  open: () => AsyncIterable<Uint8Array>,
): Promise<RefusalText | undefined> {
  return searchText(name, open, new RefusalSearch());
}

/**
 * Searches text given chunk by chunk for relay-refusal text ({@link settledMarkerIn}), counting lines. The lines a chunk's
 * last {@link REFUSAL_MARKER_REACH} characters touch are searched again with the next chunk, so a
 * marker cut in two is found whole and one near a chunk's end (`5.7.64` of `5.7.641`, `5.7.64.1`?)
 * is judged with what follows it.
 */
class RefusalSearch {
  /** The end of the text so far that is searched again: the lines its undecided end touches. */
  private tail = '';
  /** The line `tail` starts on. */
  private line = 1;
  private opening = '';
  private head = '';

  /** The first refusal text in the text so far, with `text` added. */
  public push(text: string): RefusalText | undefined {
    // UTF-16 appended to a UTF-8 file (`>>` in Windows PowerShell) reads as characters between NULs.
    const plain = text.includes('\0') ? text.replaceAll('\0', '') : text;
    if (this.head.length < HEAD_CHARS) this.head += plain.slice(0, HEAD_CHARS - this.head.length);
    return this.search(this.tail + plain, false);
  }

  /** The refusal text at the very end of the text, once it has ended. */
  public end(): RefusalText | undefined {
    return this.search(this.tail, true);
  }

  private search(text: string, last: boolean): RefusalText | undefined {
    if (this.opening === '') this.opening = /\S/.exec(text)?.[0] ?? '';
    const match = settledMarkerIn(text, last);
    if (match !== undefined) return this.found(text, match);
    // A match starting past here may be undone by the next chunk: it is judged again with it.
    const undecided = text.length - REFUSAL_MARKER_REACH;
    // Kept from the start of the line `undecided` is in: a match there keeps its line, which tells what wrote it.
    const lineStart = undecided <= 0 ? 0 : text.lastIndexOf('\n', undecided - 1) + 1;
    const keep = Math.max(lineStart, text.length - LINE_TAIL_CHARS);
    this.line += newlinesBefore(text, keep);
    this.tail = text.slice(keep);
    return undefined;
  }

  private found(text: string, match: RegExpExecArray): RefusalText {
    const start = text.lastIndexOf('\n', match.index) + 1;
    const end = text.indexOf('\n', match.index);
    return {
      where: `${match[0]} on line ${this.line + newlinesBefore(text, start)}`,
      line: text.slice(
        Math.max(start, match.index - LINE_CONTEXT_CHARS),
        Math.min(end === -1 ? text.length : end, match.index + LINE_CONTEXT_CHARS),
      ),
      opening: this.opening,
      head: this.head,
    };
  }
}

/** How many line feeds `text` holds before `end`. */
function newlinesBefore(text: string, end: number): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

/**
 * `input` when the file's first lines are the header of a format relay-audit reads, or it is a
 * syslog file with a mail line within {@link SYSLOG_SNIFF_CHARS}; what a syslog file without one is;
 * what an archive or compressed file is and what to do; `unknown` otherwise.
 */
async function howItStarts(
  name: string,
  open: () => AsyncIterable<Uint8Array>,
  { headerToo = true }: { headerToo?: boolean } = {},
): Promise<'input' | 'unknown' | { syslog: string } | { packed: string }> {
  const bytes = open()[Symbol.asyncIterator]();
  const stream = { [Symbol.asyncIterator]: () => bytes };
  try {
    const decoded = await decodeBytes(decompressed(stream, name), name);
    // Logs and JSON that are not CSV-like (mail logs, traces as JSON) are told by their first lines.
    const sniffed = await sniffText(decoded.chunks[Symbol.asyncIterator]());
    const chunks = sniffed.chunks;
    try {
      if (sniffed.format !== undefined) {
        if (!isLate(sniffed.format)) return 'input';
        const told = await lateFormatWithin(sniffed.format, chunks, SYSLOG_SNIFF_CHARS);
        return 'format' in told ? 'input' : { syslog: told.reason };
      }
      // Only whether it is a syslog file without a mail line: the rest is analysed all the same.
      if (!headerToo) return 'unknown';
      // Only whether it is an input: a file that is not is searched whole for refusals apart.
      await detectFormat(chunks, name, { searchPastSample: false });
      return 'input';
    } finally {
      await closeEarly(chunks);
    }
  } catch (error) {
    if (error instanceof PackedInputError) return { packed: error.reason };
    // Not text, or no header we know. A file that cannot be read is analysed, and fails saying why.
    return error instanceof RelayAuditError ? 'unknown' : 'input';
  } finally {
    await closeEarly(bytes);
  }
}

/** The {@link identity} of what `path` leads to, when it exists. */
function identityOf(path: string): Promise<string | undefined> {
  return stat(path).then(
    (info) => identity(info, path),
    () => undefined,
  );
}

/** Whether a path relative to a folder leads out of it (`../x`, or another drive on Windows). */
function isOutside(fromFolder: string): boolean {
  return fromFolder === '..' || fromFolder.startsWith(`..${sep}`) || isAbsolute(fromFolder);
}

/**
 * Expands the command-line paths into inputs, and the files found in directories that are not
 * logs or exports; a missing path is a usage error.
 */
export async function findLocalInputs(
  paths: readonly string[],
  cwd = process.cwd(),
  options: LocalInputOptions = {},
): Promise<LocalInputs> {
  const walked: Walked = { files: [], visited: new Map(), passed: [], hidden: new HiddenEntries() };
  const store = options.store === undefined ? undefined : await identityOf(resolve(cwd, options.store));
  if (store !== undefined) walked.store = store;
  // The run's configuration files, by identity: found under another name or through a link all the same.
  const configuration = new Map<string, string>();
  for (const { option, path } of options.configuration ?? []) {
    const id = await identityOf(resolve(cwd, path));
    if (id !== undefined) configuration.set(id, option);
  }
  for (const path of paths) await expand(path, walked);
  // The same file named twice, or reached through a link, is analysed once, where it is first
  // reached; always when it is named on the command line, also if it is found in a directory too.
  const reached = new Map<string, { first: FoundFile; absolute: string; named: boolean }>();
  for (const file of walked.files) {
    const absolute = resolve(cwd, file.path);
    const id = identity(file.info, absolute);
    const known = reached.get(id);
    if (known === undefined) reached.set(id, { first: file, absolute, named: !file.walked });
    else {
      known.named ||= !file.walked;
      // Also reached by a name not set aside (`logs/current -> .mail.log.swp`): read under that name.
      if (known.first.setAside !== undefined && file.setAside === undefined)
        Object.assign(known, { first: file, absolute });
    }
  }
  // Relative to the working directory, but a path given absolute outside it stays absolute
  // (`/var/log/mail.log`, not `../../var/log/mail.log`).
  const shown = (path: string): string => {
    const absolute = resolve(cwd, path);
    const fromCwd = relative(cwd, absolute);
    return fromCwd === '' || (isAbsolute(path) && isOutside(fromCwd)) ? absolute : fromCwd;
  };
  const found: LocalInputs = { inputs: [], notAnalysed: [], mayHoldRefusals: [] };
  const notRead = (file: string, { reason, mayHoldRefusals }: NotRead): void => {
    found.notAnalysed.push({ file, reason });
    if (mayHoldRefusals) found.mayHoldRefusals.push(file);
  };
  for (const { path, reason, mayHoldRefusals, loopTo } of walked.passed) {
    const why =
      loopTo === undefined
        ? reason
        : `a symbolic link to ${shown(loopTo)}, a folder it is in: a loop, not followed`;
    notRead(shown(path), { reason: why, mayHoldRefusals: mayHoldRefusals === true });
  }
  const setAside: SetAsideFile = async (file, open, { kind, root, entry, archive }) => {
    const refusal = await refusalTextIn(file, open);
    if (refusal !== undefined)
      notRead(file, { reason: setAsideReason(kind, archive, refusal), mayHoldRefusals: true });
    // The configuration folder is documented and expected: said only when it holds refusal text.
    else if (kind === 'hidden') walked.hidden.add(root, entry, archive);
  };
  for (const [id, { first: file, absolute, named }] of reached) {
    const name = shown(file.path);
    const { info } = file;
    const open = () => createReadStream(absolute, { highWaterMark: 1 << 16 });
    if (file.setAside !== undefined && !named) {
      const { kind, root } = file.setAside;
      await setAside(name, open, { kind, root, entry: relative(root, file.path), archive: false });
      continue;
    }
    const option = named ? undefined : configuration.get(id);
    if (option !== undefined) {
      notRead(name, {
        reason: `the ${option} file of this run: configuration, not a log or export`,
        mayHoldRefusals: false,
      });
      continue;
    }
    // A pipe is read once: it is never sniffed for a tar archive (one that is is refused whole).
    if (
      options.tarMembers &&
      info.isFile() &&
      (await addTarMembers(found, name, absolute, info, { notRead, setAside }))
    )
      continue;
    const reason = named ? undefined : await whyNotAnalysed(name, open);
    if (reason !== undefined) {
      notRead(name, reason);
      continue;
    }
    found.inputs.push({
      name,
      // Same file (path, size, modification time) → same source record on re-analysis.
      sourceId: sourceId(`file://${absolute}#${info.size}#${info.mtimeMs}`),
      path: absolute,
      // A pipe's size says nothing of what will come through it.
      ...(info.isFile() ? { size: info.size } : {}),
      modified: info.mtime,
      // 256 KB reads: fewer round trips to the thread pool (measured 64 KB → 256 KB: −8 % on 50 MB).
      open: () => createReadStream(absolute, { highWaterMark: 1 << 18 }),
    });
  }
  found.notAnalysed.push(...walked.hidden.lines(shown));
  return found;
}

/**
 * Searches a file set aside by its name (`file`, as shown) for refusal text: one that holds some is
 * listed with the files that may hold refusals; a hidden one that holds none is counted as `entry`
 * of `root` (the folder named on the command line, or the tar archive).
 */
type SetAsideFile = (
  file: string,
  open: () => AsyncIterable<Uint8Array>,
  where: { kind: SetAside; root: string; entry: string; archive: boolean },
) => Promise<void>;

/**
 * Whether a tar member is set aside by its path, and as what entry of the archive: a member whose own
 * name is hidden (`.DS_Store`, macOS tar's `._mail.log`), or one in `config/` at the archive's top
 * (the archive as the folder named). Unlike a folder on disk, a member in a hidden folder is read:
 * the archive was packed on purpose, and tar keeps the path it was given (`tar czf logs.tgz
 * ~/.maillogs` holds `home/lee/.maillogs/mail.log`).
 */
function setAsideMember(path: string): { kind: SetAside; entry: string } | undefined {
  const names = path.split('/').filter((name) => name !== '' && name !== '.');
  const file = names[names.length - 1] ?? '';
  if (setAsideByName(file, names.length - 1) === 'hidden') return { kind: 'hidden', entry: path };
  if (names.length > 1 && setAsideByName(names[0] ?? '', 0) === 'configuration')
    return { kind: 'configuration', entry: path };
  return undefined;
}

/**
 * When the file is a tar archive, adds its members to `found` as files found in a folder (a member
 * that is no log or export is listed, as in a folder) and returns true.
 */
async function addTarMembers(
  found: LocalInputs,
  name: string,
  absolute: string,
  info: Stats,
  { notRead, setAside }: { notRead: (file: string, why: NotRead) => void; setAside: SetAsideFile },
): Promise<boolean> {
  const listing = await tarListing(absolute, name);
  if (listing === undefined) return false;
  for (const { member, open } of listing.files) {
    const file = `${name}/${memberPath(member.name)}`;
    const aside = setAsideMember(memberPath(member.name));
    if (aside !== undefined) {
      await setAside(file, open, { ...aside, root: name, archive: true });
      continue;
    }
    const reason = await whyNotAnalysed(member.name, open);
    if (reason !== undefined) {
      notRead(file, reason);
      continue;
    }
    found.inputs.push({
      name: file,
      // The archive's version and the member's place in it: the same member → the same source record.
      sourceId: sourceId(`file://${absolute}#${info.size}#${info.mtimeMs}#${member.offset}#${member.name}`),
      path: `${absolute}/${memberPath(member.name)}`,
      size: member.size,
      // The member's own time (the year of its syslog dates), not the archive's.
      modified: member.modified ?? info.mtime,
      open,
    });
  }
  for (const { name: member, type } of listing.unsupported) {
    notRead(`${name}/${memberPath(member)}`, {
      reason: `a tar member of a type relay-audit does not read (${type}): extract the archive (tar xf) and analyse the folder that gives`,
      mayHoldRefusals: true,
    });
  }
  if (listing.error !== undefined) {
    notRead(name, {
      reason: `${listing.error} The files after the damage were not read.`,
      mayHoldRefusals: true,
    });
  } else if (listing.files.length === 0 && listing.unsupported.length === 0) {
    notRead(name, { reason: 'a tar archive with no files in it', mayHoldRefusals: false });
  }
  return true;
}

/** The inputs of {@link findLocalInputs} alone. */
export async function localInputs(paths: readonly string[], cwd = process.cwd()): Promise<AnalysisInput[]> {
  return (await findLocalInputs(paths, cwd)).inputs;
}
