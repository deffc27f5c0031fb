/**
 * What storing a finding costs, computed from the store's own item builders: bytes of the finding
 * item and of each index entry, and DynamoDB write units (one per started KB, for the item and for
 * every index entry), against the previous design (four GSIs projecting ALL, a `<time>#<id>` sort
 * key per index, every field in the item) for comparison. Shared items (remediation texts and refusal
 * contexts, written once per content) are counted once and spread over the findings.
 *
 *     node dist/cli/relay-audit.js analyze LOG --no-store --accepted-domains contoso.com > findings.ndjson
 *     npx tsx bench/item-cost.ts findings.ndjson
 */
import { readFileSync } from 'node:fs';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Finding } from '../functions/core/analysis/model/findings.js';
import { boundFinding, itemBytes, writeUnits } from '../functions/store/item-bounds.js';
import {
  findingKey,
  findingSortKey,
  indexEntryOf,
  normaliseDomain,
  TABLE_DEFINITION,
} from '../functions/store/table-design.js';
import { storedFinding } from './stored-finding.js';

type Item = Record<string, AttributeValue>;

/** The previous design's finding item (every field inline, one sort-key copy per index). */
function previousItem(finding: Finding, remediationId: string): { item: Item; indexes: number } {
  const { remediation: _remediation, ...rest } = finding;
  const sortKey = findingSortKey(finding.timestamp, finding.id);
  const keys: Record<string, string> = {
    ...findingKey(finding.id),
    gsi1pk: `SCENARIO#${finding.scenario}`,
    gsi1sk: sortKey,
    gsi4pk: `SOURCE#${finding.source.sourceId}`,
    gsi4sk: sortKey,
  };
  if (finding.senderDomain)
    Object.assign(keys, { gsi2pk: `SENDER#${normaliseDomain(finding.senderDomain)}`, gsi2sk: sortKey });
  if (finding.recipientDomain)
    Object.assign(keys, { gsi3pk: `RECIPIENT#${normaliseDomain(finding.recipientDomain)}`, gsi3sk: sortKey });
  const item = {
    ...marshall(rest, { removeUndefinedValues: true }),
    ...marshall(keys),
    entity: { S: 'finding' },
    expiresAt: { N: '1800000000' },
    remediationId: { S: remediationId },
  };
  return { item, indexes: 2 + (finding.senderDomain ? 1 : 0) + (finding.recipientDomain ? 1 : 0) };
}

function main(file: string): void {
  const findings = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => boundFinding(Finding.parse(JSON.parse(line))));
  const shared = new Map<string, Item>();
  const now = { bytes: 0, units: 0, indexBytes: 0, under1k: 0 };
  const before = { bytes: 0, units: 0 };
  for (const finding of findings) {
    const { item, remediationId } = storedFinding(finding, shared);
    const bytes = itemBytes(item);
    now.bytes += bytes;
    now.under1k += bytes <= 1024 ? 1 : 0;
    now.units += writeUnits(bytes);
    for (const index of TABLE_DEFINITION.globalSecondaryIndexes) {
      const entry = indexEntryOf(item, index);
      if (entry === undefined) continue;
      // DynamoDB adds 100 bytes of overhead to each index entry.
      now.indexBytes += itemBytes(entry) + 100;
      now.units += writeUnits(itemBytes(entry) + 100);
    }
    const previous = previousItem(finding, remediationId);
    const previousBytes = itemBytes(previous.item);
    before.bytes += previousBytes;
    before.units += writeUnits(previousBytes) * (1 + previous.indexes);
  }
  const n = findings.length;
  const sharedUnits = [...shared.values()].reduce((sum, item) => sum + writeUnits(itemBytes(item)), 0);
  const fixed = (x: number) => (x / n).toFixed(2);
  console.log(`${n} findings, ${shared.size} shared items (${sharedUnits} write units once)`);
  console.log(
    `now:      item ${fixed(now.bytes)} B (${((100 * now.under1k) / n).toFixed(1)} % ≤ 1 KB), index entries ` +
      `${fixed(now.indexBytes)} B, ${fixed(now.units)} write units per finding (+${fixed(sharedUnits)} shared)`,
  );
  console.log(`previous: item ${fixed(before.bytes)} B, ${fixed(before.units)} write units per finding`);
}

main(process.argv[2] ?? '/dev/stdin');
