/**
 * The pull's cursor, one small S3 object: the end of the last new window written, the times of the
 * requests still inside the throttling window (so the next run counts them), and the recent windows
 * still to be read again (reread-list.ts). Written only after a window's file is, so a run that
 * fails pulls the same window again. A cursor written before re-reads existed has no `rereads`:
 * it reads as an empty list.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { GRAPH_TRACE_CURSOR_KEY } from '../runtime/bucket-layout.js';
import { TraceDigests } from './detail-progress.js';
import { GraphFailure, GraphPullError } from './errors.js';
import { safeJson } from './token-source.js';

export const CURSOR_KEY = GRAPH_TRACE_CURSOR_KEY;

const Instant = z.iso.datetime().transform((value) => new Date(value));
const Count = z.number().int().nonnegative();

/** A window already written, kept to be read again (see reread-list.ts for when). */
export const RereadWindow = z.object({
  from: Instant,
  to: Instant,
  /** Digest of the trace records Graph listed at the last read (pull-window.ts). */
  listing: z.string().min(1),
  /** Traces in a status that may still change at the last read. */
  unsettled: Count,
  /** Traces whose details the cap left out at the last read. */
  detailsLeftOut: Count.default(0),
  /** Detail requests the last read asked: a rewrite of the window asks at least as many. */
  detailsAsked: Count.default(0),
  /** Whether a read after the settle delay has been made (traces listed late). */
  settleRead: z.boolean().default(false),
  /**
   * Final traces whose details the window's own file holds as last written: a re-read for details
   * does not ask them, a rewrite of the file asks them again (detail-progress.ts).
   */
  detailedInWindowFile: TraceDigests,
  /** Final traces whose details a detail file holds: never asked again. */
  detailedInDetailFiles: TraceDigests,
  /** Detail files written for the window (`<from>_<to>.details-<n>.json`, n from 1); absent: none. */
  detailFiles: Count.optional(),
});
export type RereadWindow = z.output<typeof RereadWindow>;

export const CursorState = z.object({
  /** The end of the last new window written (exclusive). */
  cursor: Instant,
  recentRequests: z.array(z.number().int().nonnegative()).default([]),
  rereads: z.array(RereadWindow).default([]),
});
export type CursorState = z.output<typeof CursorState>;

export class CursorStore {
  public constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** The stored state; `undefined` before the first window is written. */
  public async read(): Promise<CursorState | undefined> {
    let text: string;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: CURSOR_KEY }));
      text = (await object.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
        return undefined;
      throw error;
    }
    const parsed = CursorState.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new GraphPullError(
        `s3://${this.bucket}/${CURSOR_KEY} is not a trace cursor; delete it to start over`,
        { failure: GraphFailure.BadCursor, cause: parsed.error },
      );
    }
    return parsed.data;
  }

  public async write(state: CursorState): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: CURSOR_KEY,
        ContentType: 'application/json',
        Body: JSON.stringify({
          cursor: state.cursor.toISOString(),
          recentRequests: state.recentRequests,
          rereads: state.rereads.map((window) => ({
            ...window,
            from: window.from.toISOString(),
            to: window.to.toISOString(),
          })),
        }),
      }),
    );
  }
}
