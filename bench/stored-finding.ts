/**
 * A finding as the store writes it, for the cost tools (bench/cost.ts, bench/item-cost.ts): its item
 * and the shared items it refers to, built with the store's own builders.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Finding } from '../functions/core/analysis/model/findings.js';
import { CONTEXT_KIND, contextOf, findingItem, REMEDIATION_KIND } from '../functions/store/finding-item.js';
import { sharedItem } from '../functions/store/shared-refs.js';

type Item = Record<string, AttributeValue>;

/** The item of a (bounded) finding; its remediation and context items go into `shared`, once each. */
export function storedFinding(
  finding: Finding,
  shared: Map<string, Item>,
): { item: Item; remediationId: string } {
  const remediationId = REMEDIATION_KIND.id(finding.remediation);
  const context = contextOf(finding);
  const contextId = CONTEXT_KIND.id(context);
  shared.set(`r${remediationId}`, sharedItem(REMEDIATION_KIND, remediationId, finding.remediation));
  shared.set(`c${contextId}`, sharedItem(CONTEXT_KIND, contextId, context));
  return { item: findingItem(finding, 1_800_000_000, { remediationId, contextId }), remediationId };
}
