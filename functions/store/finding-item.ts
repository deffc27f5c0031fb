/**
 * The stored form of a finding. An item does not repeat what its keys already hold: the id is in
 * `pk`, the scenario in `gsi1pk`, and the timestamp and the domains in the index keys too
 * whenever those hold them verbatim (a normalised timestamp, a lower-case domain:
 * what the classifier produces). What many findings share is stored once, by reference: the
 * remediation, and the context (`CONTEXT_FIELDS`). Reading puts it all back, so a finding reads
 * back exactly as written. Every byte counts: DynamoDB bills a write per started kilobyte, and the
 * embedded engine writes every copy to disk.
 */
import { randomBytes } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { z } from 'zod';
import { Finding, FindingSource } from '../core/analysis/model/findings.js';
import { toAttributes } from './attribute-values.js';
import type { Item } from './batch-writer.js';
import type { SharedKind } from './shared-refs.js';
import {
  CONTEXT_ID_ATTRIBUTE,
  contextId,
  contextKey,
  ENTITY,
  findingKeyAttributes,
  GSI_SORT_KEY,
  keyTimestamp,
  normaliseDomain,
  REMEDIATION_ID_ATTRIBUTE,
  REVISION_ATTRIBUTE,
  remediationId,
  remediationKey,
  SENDER_DOMAIN_ATTRIBUTE,
  SOURCE_ID_ATTRIBUTE,
  shardedValue,
  stripStoreAttributes,
} from './table-design.js';

/**
 * How a refusal happened, and where it was read: the same for every finding of one upload refused
 * by the same Exchange Online host, with the same text, from the same server through the same
 * connector. A few dozen per log; together a third of a finding's bytes, and with the upload's file
 * name and format (an S3 key is often 60 characters) what keeps most finding items under 1 KB. The
 * classifier version that wrote the finding is shared the same way (one per run), so recording it on
 * every finding costs no byte per finding item.
 */
export const CONTEXT_FIELDS = [
  'code',
  'smtpCode',
  'attr',
  'rejectionText',
  'remoteHost',
  'serverHostname',
  'clientIp',
  'connectorId',
  'classifierVersion',
] as const;
export const FindingContext = Finding.pick({
  code: true,
  smtpCode: true,
  attr: true,
  rejectionText: true,
  remoteHost: true,
  serverHostname: true,
  clientIp: true,
  connectorId: true,
  classifierVersion: true,
}).extend({ source: FindingSource.pick({ file: true, format: true }) });
export type FindingContext = z.infer<typeof FindingContext>;

export const REMEDIATION_KIND: SharedKind<Finding['remediation']> = {
  entity: ENTITY.remediation,
  attribute: 'remediation',
  schema: Finding.shape.remediation,
  compressed: true,
  key: remediationKey,
  id: remediationId,
};

export const CONTEXT_KIND: SharedKind<FindingContext> = {
  entity: ENTITY.context,
  attribute: 'context',
  schema: FindingContext,
  key: contextKey,
  id: contextId,
};

/** The context of a finding, its fields in `CONTEXT_FIELDS` order (the order its hash sees). */
export function contextOf(finding: Finding): FindingContext {
  const context: Record<string, unknown> = {};
  for (const name of CONTEXT_FIELDS) if (finding[name] !== undefined) context[name] = finding[name];
  context.source = { file: finding.source.file, format: finding.source.format };
  return context as FindingContext;
}

/** A stored finding's data joined with its context (the source's file and format go into `source`). */
export function withContext(
  data: Record<string, unknown>,
  context: FindingContext | undefined,
): Record<string, unknown> {
  if (context === undefined) return data;
  const source = typeof data.source === 'object' && data.source !== null ? data.source : {};
  return { ...data, ...context, source: { ...source, ...context.source } };
}

/** The text after `prefix` in a key attribute of `item`, if the item has that attribute. */
function keyPart(item: Item, attribute: string, prefix: string): string | undefined {
  const value = item[attribute]?.S;
  return value?.startsWith(prefix) ? value.slice(prefix.length) : undefined;
}

/** The ids of the shared parts a finding item refers to. */
export interface SharedIds {
  remediationId: string;
  contextId: string;
}

/** Fields of a finding its item does not hold as attributes of their own (keys, references). */
const NOT_STORED: ReadonlySet<string> = new Set([
  'id',
  'scenario',
  'remediation',
  'source',
  ...CONTEXT_FIELDS,
]);

/** This process's part of every revision: random, so two writers never name two puts alike. */
const WRITER = randomBytes(6).toString('base64url');
let puts = 0;

/** A new revision, unique per put: this process's random part and a counter (about 12 bytes stored). */
export function nextRevision(): string {
  puts += 1;
  return `${WRITER}${puts.toString(36)}`;
}

/**
 * The item of one finding (already bounded: see item-bounds.ts), its shared parts by reference, with
 * a new revision: each item is put once (see finding-merge.ts).
 */
export function findingItem(finding: Finding, expiresAt: number, ids: SharedIds): Item {
  // Built field by field, what the keys hold left undefined (left out), rather than copied and
  // deleted from: this runs once per finding, and a copy with deleted fields is slow to walk.
  const stored: Record<string, unknown> = {};
  for (const name in finding) {
    if (!NOT_STORED.has(name)) stored[name] = finding[name as keyof Finding];
  }
  const { sourceId: _sourceId, file: _file, format: _format, ...source } = finding.source;
  stored.source = source;
  if (keyTimestamp(finding.timestamp) === finding.timestamp) stored.timestamp = undefined;
  for (const name of ['senderDomain', 'recipientDomain'] as const) {
    const domain = finding[name];
    if (domain !== undefined && normaliseDomain(domain) === domain) stored[name] = undefined;
  }
  const item = toAttributes(stored);
  Object.assign(item, findingKeyAttributes(finding, expiresAt));
  item[REMEDIATION_ID_ATTRIBUTE] = { S: ids.remediationId };
  item[CONTEXT_ID_ATTRIBUTE] = { S: ids.contextId };
  item[REVISION_ATTRIBUTE] = { S: nextRevision() };
  return item;
}

/** The ids of the shared parts a stored finding item refers to (absent ones undefined). */
export function sharedIdsOf(item: Item): { [K in keyof SharedIds]: SharedIds[K] | undefined } {
  return { remediationId: item[REMEDIATION_ID_ATTRIBUTE]?.S, contextId: item[CONTEXT_ID_ATTRIBUTE]?.S };
}

/**
 * The finding's own attributes of a stored item, with what `findingItem` left to the keys put back
 * (the shared parts excepted: the caller joins them). Unvalidated: the caller parses it.
 */
export function findingData(item: Item): Record<string, unknown> {
  const data = unmarshall(stripStoreAttributes(item));
  const source = typeof data.source === 'object' && data.source !== null ? data.source : {};
  const sortKey = item[GSI_SORT_KEY]?.S;
  const derived: Record<string, unknown> = {
    id: keyPart(item, 'pk', 'FINDING#'),
    scenario: shardedValue(item.gsi1pk?.S, 'SCENARIO#'),
    timestamp: sortKey?.slice(0, sortKey.lastIndexOf('#')),
    senderDomain: shardedValue(item.gsi2pk?.S, 'SENDER#') ?? item[SENDER_DOMAIN_ATTRIBUTE]?.S,
    recipientDomain: shardedValue(item.gsi3pk?.S, 'RECIPIENT#'),
  };
  for (const [name, value] of Object.entries(derived)) {
    if (data[name] === undefined && value !== undefined) data[name] = value;
  }
  data.source = { sourceId: item[SOURCE_ID_ATTRIBUTE]?.S, ...source };
  return data;
}
