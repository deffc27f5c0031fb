/**
 * `GET /sources` (uploads, newest first, paged; or one dashboard upload's, `?file=<key>`) and
 * `GET /sources/{id}` (with its skipped rows).
 */
import { isInterrupted, type SourceRecord } from '../../core/analysis/model/source-record.js';
import type { SourceSummary, SourceView } from '../contract.js';
import type { ApiDependencies } from '../dependencies.js';

export type { SourceSummary };

import { NotFoundError } from '../errors.js';
import type { ApiResponse } from '../messages.js';
import { IdParams, NoParams, parseParams, parseQuery, SourcesParams } from '../params.js';
import { jsonResponse } from '../responses.js';
import { sourcesOfUpload } from '../upload-sources.js';
import { nextCursor, type RouteContext } from './route-context.js';

function view(record: SourceRecord, deps: Pick<ApiDependencies, 'isLeaseGone'>): SourceView {
  if (isInterrupted(record, new Date(), deps.isLeaseGone)) return { ...record, interrupted: true };
  if (record.status === 'processing') return record;
  // A finished upload's lease only fences late writes of the attempt that wrote it (ingest keeps it
  // for that): to a reader it would look like an analysis still holding the file.
  const { lease: _lease, ...finished } = record;
  return finished;
}

function summarise(record: SourceRecord, deps: Pick<ApiDependencies, 'isLeaseGone'>): SourceSummary {
  const { skipped: _skipped, ...rest } = view(record, deps);
  return rest;
}

/** One page of source records: `{ items, cursor? }`; with `file`, that upload's records (no cursor). */
export async function listSources({ request, deps }: RouteContext): Promise<ApiResponse> {
  const params = parseQuery(SourcesParams, request);
  if (params.file !== undefined) {
    const records = await sourcesOfUpload(deps.store, params.file, params.limit);
    return jsonResponse(200, { items: records.map((record) => summarise(record, deps)) });
  }
  const page = await deps.store.listSources({
    limit: params.limit,
    cursor: params.cursor,
  });
  return jsonResponse(200, {
    items: page.items.map((record) => summarise(record, deps)),
    ...nextCursor(page),
  });
}

/** One source record: status, error code and reason, counts, and the skipped rows with their reasons. */
export async function getSource({ request, pathParams, deps }: RouteContext): Promise<ApiResponse> {
  parseQuery(NoParams, request);
  const { id } = parseParams(IdParams, pathParams);
  const record = await deps.store.getSource(id);
  if (record === undefined) throw new NotFoundError(`no source with id ${id}`);
  return jsonResponse(200, view(record, deps));
}
