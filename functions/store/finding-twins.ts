/**
 * Twins: one refusal stored under two ids by two runs. A message trace detail exported without
 * RecipientAddress (`Get-MessageTrace | Get-MessageTraceDetail | Export-Csv`) gives a refusal that
 * names no recipient, its id made from a stand-in; a run that also reads the trace page names the
 * recipient, and gives the refusal the id of that recipient. In one run the classifier folds the
 * unnamed refusal into the named one when nothing else is possible: the run names exactly one refused
 * recipient of the message for that code and holds exactly one unnamed refusal of it
 * (core/analysis/classifier/unnamed-recipients.ts). Across runs the two ids never meet in the merge,
 * so the store applies the same rule with one small marker item per message and code, `TWIN#<hash>`:
 * the ids of the named and of the unnamed findings written of it, at most {@link KEPT} of each (two
 * already say "several": no fold, no guess).
 *
 * Only findings that can have such a twin pay for it (one UpdateItem of an item below 1 KB, a write
 * unit): those without a recipient, and the named ones read from message trace formats, whose runs
 * are the ones that give the recipient. A tracking log's findings never touch a marker.
 *
 * Every finding is put first and its marker updated after. The update that completes the pair,
 * whichever writer and whichever order, so sees both findings put: it removes the unnamed one (after
 * checking that the named one is stored), and a later put of the unnamed one (a re-run of the
 * detail alone) is followed by its own update, which removes it again. A fold is not undone when a
 * later run names a second recipient: the removed reading comes back only when its file is analysed
 * again (its put then finds two named ids, and it stays).
 */
import { DeleteItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { MESSAGE_TRACE_FORMATS } from '../core/analysis/model/events.js';
import type { Finding } from '../core/analysis/model/findings.js';
import type { Item } from './batch-writer.js';
import type { BoundTable } from './bound-table.js';
import { causeName } from './dynamo-call.js';
import { ENTITY, ENTITY_ATTRIBUTE, findingKey, keyItem, TTL_ATTRIBUTE, twinKey } from './table-design.js';

/** Ids kept per side of a marker: two say "several", all the rule needs to know. */
const KEPT = 2;

/** Marker attributes: the ids of the named findings, and of the unnamed ones. */
const NAMED = 'named';
const UNNAMED = 'unnamed';

/** True when `finding` may be one of a twin pair, so its marker is kept. */
export function mayHaveTwin(finding: Finding): boolean {
  return finding.recipient === '' || MESSAGE_TRACE_FORMATS.has(finding.source.format);
}

/**
 * Notes `finding` (already put) in the marker of its message and code and, when the marker then
 * holds exactly one named and one unnamed finding and the named one is stored, removes the unnamed
 * one. Returns the item removed (for its rollup counter), if any.
 */
export async function settleTwin(
  table: BoundTable,
  finding: Finding,
  expiresAt: number,
): Promise<Item | undefined> {
  const marker = await noted(table, finding, expiresAt);
  const named = marker?.[NAMED]?.SS ?? [];
  const unnamed = marker?.[UNNAMED]?.SS ?? [];
  const [namedId] = named;
  const [unnamedId] = unnamed;
  if (named.length !== 1 || unnamed.length !== 1 || namedId === undefined || unnamedId === undefined) {
    return undefined;
  }
  // Never fold into nothing: the named finding may have been removed since (a re-analysis).
  const stored = await table.call('GetItem', () =>
    table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: keyItem(findingKey(namedId)),
        ProjectionExpression: 'pk',
        ConsistentRead: true,
      }),
    ),
  );
  if (stored.Item === undefined) return undefined;
  const removed = await table.call('DeleteItem', () =>
    table.client.send(
      new DeleteItemCommand({
        TableName: table.tableName,
        Key: keyItem(findingKey(unnamedId)),
        ReturnValues: 'ALL_OLD',
      }),
    ),
  );
  return removed.Attributes;
}

/**
 * Adds the finding's id to its marker (one UpdateItem) and returns the marker as it is then;
 * `undefined` when that side already holds {@link KEPT} other ids (several: nothing to fold).
 */
async function noted(table: BoundTable, finding: Finding, expiresAt: number): Promise<Item | undefined> {
  try {
    const response = await table.call('UpdateItem', () =>
      table.client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: keyItem(twinKey(finding.messageId, finding.code)),
          UpdateExpression: 'ADD #ids :ids SET #expires = :expires, #entity = :entity',
          ConditionExpression: 'attribute_not_exists(#ids) OR contains(#ids, :id) OR size(#ids) < :kept',
          ExpressionAttributeNames: {
            '#ids': finding.recipient === '' ? UNNAMED : NAMED,
            '#expires': TTL_ATTRIBUTE,
            '#entity': ENTITY_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ':ids': { SS: [finding.id] },
            ':id': { S: finding.id },
            ':kept': { N: String(KEPT) },
            ':expires': { N: String(expiresAt) },
            ':entity': { S: ENTITY.twin },
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return response.Attributes;
  } catch (error) {
    if (causeName(error) === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}
