/**
 * The stored form of a finding. An item does not repeat what its keys already hold: the id is in
 * `pk`, the scenario in `gsi1pk`, the upload in `gsi4pk`, and the timestamp and the domains in the
 * index keys too whenever those hold them verbatim (a normalised timestamp, a lower-case domain:
 * what the classifier produces). Reading puts them back, so a finding reads back exactly as written.
 * Every byte matters five times over: DynamoDB bills a write by the kilobyte, for the item and for
 * each index entry, and the embedded engine writes each copy to disk.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Finding } from '../core/findings.js';
import { toAttributes } from './attribute-values.js';
import type { Item } from './batch-writer.js';
import {
  findingKeyAttributes,
  GSI_SORT_KEY,
  keyTimestamp,
  normaliseDomain,
  REMEDIATION_ID_ATTRIBUTE,
  stripStoreAttributes,
} from './table-design.js';

/** The text after `prefix` in a key attribute of `item`, if the item has that attribute. */
function keyPart(item: Item, attribute: string, prefix: string): string | undefined {
  const value = item[attribute]?.S;
  return value?.startsWith(prefix) ? value.slice(prefix.length) : undefined;
}

/** The item of one finding (already bounded: see item-bounds.ts), its remediation stored by reference. */
export function findingItem(finding: Finding, expiresAt: number, remediationId: string): Item {
  const {
    id: _id,
    scenario: _scenario,
    remediation: _remediation,
    source: { sourceId: _sourceId, ...source },
    ...rest
  } = finding;
  const stored: Record<string, unknown> = { ...rest, source };
  if (keyTimestamp(finding.timestamp) === finding.timestamp) delete stored.timestamp;
  for (const name of ['senderDomain', 'recipientDomain'] as const) {
    const domain = finding[name];
    if (domain !== undefined && normaliseDomain(domain) === domain) delete stored[name];
  }
  return {
    ...toAttributes(stored),
    ...findingKeyAttributes(finding, expiresAt),
    [REMEDIATION_ID_ATTRIBUTE]: { S: remediationId },
  };
}

/**
 * The finding's own attributes of a stored item, with what `findingItem` left to the keys put back
 * (the remediation excepted: the caller joins it). Unvalidated: the caller parses it.
 */
export function findingData(item: Item): Record<string, unknown> {
  const data = unmarshall(stripStoreAttributes(item));
  const source = typeof data.source === 'object' && data.source !== null ? data.source : {};
  const sortKey = item[GSI_SORT_KEY]?.S;
  const derived: Record<string, unknown> = {
    id: keyPart(item, 'pk', 'FINDING#'),
    scenario: keyPart(item, 'gsi1pk', 'SCENARIO#'),
    timestamp: sortKey?.slice(0, sortKey.lastIndexOf('#')),
    senderDomain: keyPart(item, 'gsi2pk', 'SENDER#'),
    recipientDomain: keyPart(item, 'gsi3pk', 'RECIPIENT#'),
  };
  for (const [name, value] of Object.entries(derived)) {
    if (data[name] === undefined && value !== undefined) data[name] = value;
  }
  data.source = { sourceId: keyPart(item, 'gsi4pk', 'SOURCE#'), ...source };
  return data;
}
