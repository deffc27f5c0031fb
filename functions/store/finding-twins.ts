/**
 * Twins: one refusal stored under two ids by two runs. A message trace detail exported without
 * RecipientAddress (`Get-MessageTrace | Get-MessageTraceDetail | Export-Csv`) gives a refusal that
 * names no recipient, its id made from a stand-in; a run that also reads the trace page names the
 * recipient, and gives the refusal the id of that recipient. In one run the classifier folds the
 * unnamed refusal into the named one when nothing else is possible: the run names exactly one refused
 * recipient of the message for that code and holds exactly one unnamed refusal of it
 * (core/analysis/classifier/unnamed-recipients.ts). Across runs the two ids never meet in the merge,
 * so the store applies the same rule with one small marker item per message and code, `TWIN#<hash>`:
 * the named and the unnamed findings written of it, at most {@link KEPT} of each (two already say
 * "several": no fold, no guess).
 *
 * A named finding may itself be an unnamed reading that its run named (the detail read with a page
 * of one failed recipient), and nothing in the finding says so. Another recipient's unnamed refusal
 * then meets one named and one unnamed finding although the runs held two unnamed refusals, and one
 * run over the files would keep both. So each entry also notes its reading, the time and text of the
 * refusal (what tells two unnamed refusals apart in a run, see `recipientOrStandIn`), and only a named
 * and an unnamed finding of the same reading fold: the same refusal read twice. Two readings stay two
 * findings, also when the named one was read with its recipient (a count one too high, never a
 * refusal lost).
 *
 * A mail log gives such pairs too. Postfix logs the refusal of a server tried before the last on a
 * line of its own, `host … said: 451 4.4.62 …`, and the `to=` line that names its recipient only
 * after trying the next one, seconds later (Exim likewise): a copy of the log taken between
 * the two lines (an upload of a growing log under the same key, a cron copy, `analyze --db` on the
 * short copy then the grown one) reads the refusal without its recipient, the grown copy with it, at
 * the same time and with the same text (the tried server's line is the first occurrence of both).
 *
 * Only findings that can have such a twin pay for it (one UpdateItem of an item below 1 KB, a write
 * unit): those without a recipient, and the named ones of the formats whose readings may name a
 * recipient another reading of the refusal left out ({@link NAMED_LATER_FORMATS}). A tracking log's
 * findings never touch a marker.
 *
 * Every finding is put first and its marker updated after. The update that completes the pair,
 * whichever writer and whichever order, so sees both findings put: it removes the unnamed one (after
 * checking that the named one is stored), and a later put of the unnamed one (a re-run of the
 * detail alone) is followed by its own update, which removes it again. A fold is not undone when a
 * later run names a second recipient: the removed reading comes back only when its file is analysed
 * again (its put then finds two named ids, and it stays).
 */
import { DeleteItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type FormatId, MAIL_LOG_FORMATS, MESSAGE_TRACE_FORMATS } from '../core/analysis/model/events.js';
import { sha256Hex32 } from '../core/analysis/model/finding-id.js';
import type { Finding } from '../core/analysis/model/findings.js';
import type { Item } from './batch-writer.js';
import type { BoundTable } from './bound-table.js';
import { causeName } from './dynamo-call.js';
import { ENTITY, ENTITY_ATTRIBUTE, findingKey, keyItem, TTL_ATTRIBUTE, twinKey } from './table-design.js';

/** Entries kept per side of a marker: two say "several", all the rule needs to know. */
const KEPT = 2;

/** Marker attributes: the entries of the named findings, and of the unnamed ones. */
const NAMED = 'named';
const UNNAMED = 'unnamed';

/**
 * A marker's entry: the finding's id and its reading. A finding written again with another time
 * (the earlier of two exports) makes two entries: "several", no fold. An entry without a reading
 * (a marker written before readings were noted) matches none.
 */
function entryOf(finding: Finding): string {
  const at = new Date(finding.timestamp).toISOString();
  return `${finding.id} ${sha256Hex32(['reading', at, finding.rejectionText])}`;
}

/** The id and the reading (`undefined` for an entry without one) of a marker's entry. */
function parsed(entry: string): { id: string; reading: string | undefined } {
  const [id = '', reading] = entry.split(' ');
  return { id, reading };
}

/**
 * Formats whose named findings may have an unnamed twin: the message trace formats, whose runs give
 * the recipient a detail exported without one left out, and the mail logs, whose grown copy names
 * the recipient of a tried server's refusal that a shorter copy read without one (all three: one
 * reader reads every program's lines, whichever program the file's format is named after).
 */
const NAMED_LATER_FORMATS: ReadonlySet<FormatId> = new Set<FormatId>([
  ...MESSAGE_TRACE_FORMATS,
  ...MAIL_LOG_FORMATS,
]);

/** True when `finding` may be one of a twin pair, so its marker is kept. */
export function mayHaveTwin(finding: Finding): boolean {
  return finding.recipient === '' || NAMED_LATER_FORMATS.has(finding.source.format);
}

/**
 * Notes `finding` (already put) in the marker of its message and code and, when the marker then
 * holds exactly one named and one unnamed finding, both of one reading, and the named one is stored,
 * removes the unnamed one. Returns the item removed (for its rollup counter), if any.
 */
export async function settleTwin(
  table: BoundTable,
  finding: Finding,
  expiresAt: number,
): Promise<Item | undefined> {
  const marker = await noted(table, finding, expiresAt);
  const named = marker?.[NAMED]?.SS ?? [];
  const unnamed = marker?.[UNNAMED]?.SS ?? [];
  const [namedEntry] = named;
  const [unnamedEntry] = unnamed;
  if (named.length !== 1 || unnamed.length !== 1 || namedEntry === undefined || unnamedEntry === undefined) {
    return undefined;
  }
  const kept = parsed(namedEntry);
  const twin = parsed(unnamedEntry);
  // Another reading is another refusal, however the named one got its recipient.
  if (kept.reading === undefined || kept.reading !== twin.reading) return undefined;
  // Never fold into nothing: the named finding may have been removed since (a re-analysis).
  const stored = await table.call('GetItem', () =>
    table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: keyItem(findingKey(kept.id)),
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
        Key: keyItem(findingKey(twin.id)),
        ReturnValues: 'ALL_OLD',
      }),
    ),
  );
  return removed.Attributes;
}

/**
 * Adds the finding's entry to its marker (one UpdateItem) and returns the marker as it is then;
 * `undefined` when that side already holds {@link KEPT} other entries (several: nothing to fold).
 */
async function noted(table: BoundTable, finding: Finding, expiresAt: number): Promise<Item | undefined> {
  const entry = entryOf(finding);
  try {
    const response = await table.call('UpdateItem', () =>
      table.client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: keyItem(twinKey(finding.messageId, finding.code)),
          UpdateExpression: 'ADD #side :entries SET #expires = :expires, #entity = :entity',
          ConditionExpression:
            'attribute_not_exists(#side) OR contains(#side, :entry) OR size(#side) < :kept',
          ExpressionAttributeNames: {
            '#side': finding.recipient === '' ? UNNAMED : NAMED,
            '#expires': TTL_ATTRIBUTE,
            '#entity': ENTITY_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ':entries': { SS: [entry] },
            ':entry': { S: entry },
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
