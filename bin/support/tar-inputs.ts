/**
 * A local tar archive (`tar czf maillogs.tar.gz /var/log/mail.log*`, a `.tar`, a `.tgz`) as the
 * files in it: each regular member becomes an input named `<archive>/<member>`, read by streaming
 * the archive to it, so it is analysed like a file of that name found in a folder. Read whole, the
 * archive's headers would glue each member's first line to binary and its refusal would be lost.
 *
 * A plain tar's member is read by its byte range. A gzip one cannot be entered mid-stream, so its
 * members are read from one inflating pass that goes on from member to member as they are opened
 * in order (the listing's look at each member's head, then the analysis of each); a member opened
 * after a later one starts a new pass. Measured on a `.tar.gz` of 30 logs, opening each from the
 * start took time growing with the square of their number.
 */
import { createReadStream } from 'node:fs';
import { ErrorCode, RelayAuditError } from '../../functions/core/kernel/errors.js';
import { closeEarly, readHead } from '../../functions/core/text/byte-source.js';
import { gunzipped, isGzipHead } from '../../functions/core/text/decompress.js';
import {
  isTarHeader,
  TAR_BLOCK,
  type TarEntry,
  type TarMember,
  tarEntries,
} from '../../functions/core/text/tar.js';

/** A regular file in a tar archive, and how to read its bytes. */
export interface TarFile {
  member: TarMember;
  open(): AsyncIterable<Uint8Array>;
}

/** What a tar archive holds, as far as it could be read. */
export interface TarListing {
  files: TarFile[];
  /** Members that may hold data but are not read (GNU sparse `S`, multi-volume `M`, …), by name and type. */
  unsupported: { name: string; type: string }[];
  /** Why the archive could not be read to its end (damaged, cut short): its later members are unknown. */
  error?: string;
}

const READ_BYTES = 1 << 18;

/** True when the file at `path` is a tar archive, plain or gzip-compressed (by its bytes, not its name). */
async function isTar(path: string, name: string): Promise<boolean> {
  const plain = gunzipped(createReadStream(path, { highWaterMark: 1 << 14 }), name)[Symbol.asyncIterator]();
  try {
    return isTarHeader((await readHead(plain, TAR_BLOCK)).head);
  } catch {
    return false; // not gzip after all, or damaged: the analysis of the file says why
  } finally {
    await closeEarly(plain);
  }
}

/** True when the file at `path` starts with gzip's signature. */
async function isGzip(path: string): Promise<boolean> {
  const stream = createReadStream(path, { start: 0, end: 1 });
  try {
    const { head } = await readHead(stream[Symbol.asyncIterator](), 2);
    return isGzipHead(head);
  } finally {
    stream.destroy();
  }
}

/** The member's path as shown under the archive's name: no leading `/` or `./`. */
export function memberPath(name: string): string {
  return name.replace(/^(?:\.?\/)+/, '');
}

/**
 * The members of the tar archive at `path` (shown as `name`), or undefined when it is no tar
 * archive. The archive is read once to list them.
 */
export async function tarListing(path: string, name: string): Promise<TarListing | undefined> {
  if (!(await isTar(path, name))) return undefined;
  const gzip = await isGzip(path);
  const pass = gzip ? new InflatingPass(path, name) : undefined;
  const listing: TarListing = { files: [], unsupported: [] };
  try {
    for await (const entry of tarEntries(
      gunzipped(createReadStream(path, { highWaterMark: READ_BYTES }), name),
      name,
    )) {
      if (entry.kind === 'unsupported') {
        listing.unsupported.push({ name: entry.name, type: entry.type });
        continue;
      }
      const { member } = entry;
      listing.files.push({
        member,
        open: () => (pass ? pass.member(member) : rangeOf(path, member)),
      });
    }
  } catch (error) {
    listing.error =
      error instanceof RelayAuditError
        ? error.message
        : `${name}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return listing;
}

/** A plain tar's member: its byte range of the file. */
async function* rangeOf(path: string, member: TarMember): AsyncGenerator<Uint8Array> {
  if (member.size === 0) return;
  yield* createReadStream(path, {
    start: member.offset,
    end: member.offset + member.size - 1,
    highWaterMark: READ_BYTES,
  });
}

/**
 * The members of a gzip tar, read from one inflating pass of the archive that goes on as long as
 * members are opened in order, one at a time (see the module comment).
 */
class InflatingPass {
  private entries: AsyncGenerator<TarEntry> | undefined;
  /** Offset of the last member the pass handed out: the pass is past its start. */
  private position = -1;
  private busy = false;

  public constructor(
    private readonly path: string,
    private readonly name: string,
  ) {}

  public async *member(member: TarMember): AsyncGenerator<Uint8Array> {
    // Another member still being read from the pass: this one gets a pass of its own.
    const shared = !this.busy;
    let entries = shared ? this.entries : undefined;
    if (entries === undefined || member.offset <= this.position) {
      if (shared) await this.entries?.return(undefined);
      entries = tarEntries(
        gunzipped(createReadStream(this.path, { highWaterMark: READ_BYTES }), this.name),
        this.name,
      );
      if (shared) {
        this.entries = entries;
        this.position = -1;
      }
    }
    if (shared) this.busy = true;
    try {
      for (let next = await entries.next(); !next.done; next = await entries.next()) {
        const entry = next.value;
        if (entry.kind !== 'file' || entry.member.offset < member.offset) continue;
        if (entry.member.offset > member.offset) break;
        if (shared) this.position = member.offset;
        yield* entry.body();
        return;
      }
      // Not where the listing saw it: this pass is spent.
      if (shared) {
        await entries.return(undefined);
        this.entries = undefined;
      }
      throw new RelayAuditError(
        ErrorCode.ReadFailure,
        `${this.name}: ${member.name} is no longer in the archive (it changed since it was listed): analyse it again.`,
        { location: { file: `${this.name}/${memberPath(member.name)}` } },
      );
    } finally {
      if (shared) this.busy = false;
      else await entries.return(undefined);
    }
  }
}
