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
 *
 * A mail log read newest first (a SIEM export of the newest events, then of more; `tac mail.log`
 * excerpts) gives another pair: the short copy holds a `to=` line but not the older `cleanup …
 * message-id=` line of its message, so the refusal is named by its queue id's stand-in
 * (`postfix:relay01:8C2F41A0B7@2026-11-28T23`, see queuedMessageIdentity) and has no sender; the grown
 * copy names its Message-ID. Two ids, one refusal. Their marker, `TWIN#<hash of the refusal>`, is keyed
 * by what both readings share: the time, text, recipient, code, server and queue id (the relay's name
 * for the message: without it, two messages refused in one second to one recipient, two monitoring
 * alerts, would look like one, and the fold would delete one of them). It notes the identified
 * findings and the stand-ins, each entry with the source it was read from, and the stand-in folds into
 * the identified finding (which has the Message-ID and sender: more facts) when the marker holds one
 * stand-in and one identified finding that no source read along with it: a file that read two
 * messages there (two queue ids, one of them with its Message-ID) says they are two, as one run over
 * it does, and its identified one is not the stand-in's twin. Several candidates: no fold, no guess.
 * Only mail-log findings with a recipient and a queue id pay for this marker (a second UpdateItem,
 * below 1 KB); one stored before findings kept their queue id folds into nothing.
 */
import { DeleteItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { isQueuedMessageIdentity } from '../core/analysis/evidence/queued-sender.js';
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

/**
 * Entries kept per side of a stand-in marker: one finding is noted once per source that read it (a
 * growing log is read again and again), and a full side stops the folds, never a refusal.
 */
const STAND_IN_KEPT = 6;

/** Stand-in marker attributes: the entries of the findings named by a Message-ID, and by a stand-in. */
const IDENTIFIED = 'identified';
const STAND_IN = 'standIn';

/** True when `finding` may be one of a twin pair, so its marker is kept. */
export function mayHaveTwin(finding: Finding): boolean {
  return finding.recipient === '' || NAMED_LATER_FORMATS.has(finding.source.format);
}

/** True when `finding` may be one reading of a refusal another names by a stand-in (see the module comment). */
function mayHaveStandInTwin(finding: Finding): finding is Finding & { queueId: string } {
  return (
    finding.recipient !== '' &&
    MAIL_LOG_FORMATS.has(finding.source.format) &&
    finding.queueId !== undefined &&
    finding.queueId !== ''
  );
}

/**
 * Notes `finding` (already put) in the markers of the twins it may have and removes the weaker of a
 * pair it completes (see {@link settleUnnamed}, {@link settleStandIn}). Returns the items removed
 * (for their rollup counters).
 */
export async function settleTwin(table: BoundTable, finding: Finding, expiresAt: number): Promise<Item[]> {
  const removed: Item[] = [];
  const unnamed = await settleUnnamed(table, finding, expiresAt);
  if (unnamed !== undefined) removed.push(unnamed);
  if (mayHaveStandInTwin(finding)) {
    const standIn = await settleStandIn(table, finding, expiresAt);
    if (standIn !== undefined) removed.push(standIn);
  }
  return removed;
}

/**
 * Notes `finding` in the marker of its message and code and, when the marker then holds exactly one
 * named and one unnamed finding, both of one reading, and the named one is stored, removes the
 * unnamed one. Returns the item removed, if any.
 */
async function settleUnnamed(
  table: BoundTable,
  finding: Finding,
  expiresAt: number,
): Promise<Item | undefined> {
  const side = finding.recipient === '' ? UNNAMED : NAMED;
  const marker = await noted(
    table,
    twinKey(finding.messageId, finding.code),
    side,
    entryOf(finding),
    KEPT,
    expiresAt,
  );
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
  return foldInto(table, kept.id, twin.id);
}

/**
 * Notes a mail log's named `finding` in the marker of its refusal and, when the marker then holds
 * one finding named by a stand-in and one named by a Message-ID that no source of the stand-in read,
 * and that one is stored, removes the stand-in. Returns the item removed, if any.
 */
async function settleStandIn(
  table: BoundTable,
  finding: Finding & { queueId: string },
  expiresAt: number,
): Promise<Item | undefined> {
  const at = new Date(finding.timestamp).toISOString();
  const refusal = ['stand-in', at, finding.rejectionText, finding.recipient.trim().toLowerCase()];
  const message = [finding.serverHostname ?? '', finding.queueId];
  const key = twinKey([...refusal, ...message].join('\u0000'), finding.code);
  const side = isQueuedMessageIdentity(finding.messageId) ? STAND_IN : IDENTIFIED;
  const entry = `${finding.id} ${finding.source.sourceId}`;
  const marker = await noted(table, key, side, entry, STAND_IN_KEPT, expiresAt);
  if (marker === undefined) return undefined;
  const identified = (marker[IDENTIFIED]?.SS ?? []).map(sourced);
  const standIns = (marker[STAND_IN]?.SS ?? []).map(sourced);
  const twinIds = new Set(standIns.map((read) => read.id));
  const [twin] = twinIds;
  if (twinIds.size !== 1 || twin === undefined) return undefined;
  // A source that read the stand-in and an identified finding read two messages (two queue ids):
  // one run over it keeps both, so only an identified finding no such source read can be its twin.
  const twinSources = new Set(standIns.map((read) => read.source));
  const readWith = new Set(identified.filter((read) => twinSources.has(read.source)).map((read) => read.id));
  const candidates = new Set(identified.filter((read) => !readWith.has(read.id)).map((read) => read.id));
  const [kept] = candidates;
  if (candidates.size !== 1 || kept === undefined) return undefined;
  return foldInto(table, kept, twin);
}

/** The id and the source of a stand-in marker's entry (`<id> <sourceId>`). */
function sourced(entry: string): { id: string; source: string } {
  const [id = '', source = ''] = entry.split(' ');
  return { id, source };
}

/**
 * Removes the finding `twin` when the finding `kept` is stored (never fold into nothing: it may have
 * been removed since, by a re-analysis). Returns the item removed, if any.
 */
async function foldInto(table: BoundTable, kept: string, twin: string): Promise<Item | undefined> {
  const stored = await table.call('GetItem', () =>
    table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: keyItem(findingKey(kept)),
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
        Key: keyItem(findingKey(twin)),
        ReturnValues: 'ALL_OLD',
      }),
    ),
  );
  return removed.Attributes;
}

/**
 * Adds `entry` to the `side` of the marker `key` (one UpdateItem) and returns the marker as it is
 * then; `undefined` when that side already holds `kept` other entries (several: nothing to fold).
 */
async function noted(
  table: BoundTable,
  key: ReturnType<typeof twinKey>,
  side: string,
  entry: string,
  kept: number,
  expiresAt: number,
): Promise<Item | undefined> {
  try {
    const response = await table.call('UpdateItem', () =>
      table.client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: keyItem(key),
          UpdateExpression: 'ADD #side :entries SET #expires = :expires, #entity = :entity',
          ConditionExpression:
            'attribute_not_exists(#side) OR contains(#side, :entry) OR size(#side) < :kept',
          ExpressionAttributeNames: {
            '#side': side,
            '#expires': TTL_ATTRIBUTE,
            '#entity': ENTITY_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ':entries': { SS: [entry] },
            ':entry': { S: entry },
            ':kept': { N: String(kept) },
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
