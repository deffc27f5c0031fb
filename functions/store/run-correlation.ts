/**
 * The end-of-run correlation: what one run (a CLI `analyze`, an ingested upload) can settle at once
 * about forwarding across runs, instead of leaving it to the nightly job.
 *
 * 1. The run's own forwarding candidates are looked up in the inbound Message-ID index: a receipt
 *    an earlier run recorded proves them `forwarding`.
 * 2. The run's receipts are matched against `foreign-sender-domain` findings stored by earlier runs
 *    in the time window where the refusal of a received message can fall (from the first receipt,
 *    less clock skew, to the last receipt plus the longest forwarding delay). The run remembers only
 *    which Message-IDs it received; the entries of those that match are read from the index, every
 *    upload's: one elsewhere may say the sender addressed the refused recipient itself.
 * Either way the finding is re-put as `forwarding` under the same id (never a second finding), with
 * the evidence and remediation the nightly job would give it. The nightly job stays the safety net.
 * 3. The run's `forwarding` findings that its classifier concluded from receipts alone are looked up
 *    too (with the candidates, one lookup): an earlier run's receipt that named the refused
 *    recipient itself says the sender addressed it, and one run over all the files would not have
 *    read forwarding. Such a finding is re-put as the classifier's reading without the receipts
 *    (`foreign-sender-domain` for a sender domain the tenant does not own), under the organisation
 *    the run was analysed with (without it, as an upload's correlation is given none yet, they stay).
 * The run counts its own findings so on its records; the records of earlier runs whose findings it
 * reclassified are updated in the store. Only a finding still `foreign-sender-domain` is
 * reclassified (and only one still `forwarding` on receipts taken back), so running the same
 * correlation again moves no count twice. A finding of the run the store holds `forwarding` already,
 * by a redirect or receipt an earlier run read (one run over both files, then one file again on
 * its own), is not re-put: the run counts it `forwarding` on its record, as the store does.
 *
 * Runs side by side (uploads on `serve`, ingest's Lambdas) may read the same file twice. Each finds
 * the same findings, stored once under the upload that wrote them last; each counts them on its
 * own record, so each counts what the correlation makes of them on its own record too: under its
 * own file whichever upload the store names, and also when the other's correlation re-put them first
 * (`isForwardingBy`, `isTakenBackBy`). Another upload's repeat of the run's receipts (the same row,
 * `repeatsOf`) is what the classifier judged with, no receipt of an earlier run.
 */
import {
  CLOCK_SKEW_MS,
  type ClassifierOrganisation,
  isForwardingBy,
  isTakenBackBy,
  MAX_FORWARD_DELAY_MS,
  ReadingWithoutInbound,
  readingAddressedBySender,
  reclassifyAsForwarding,
} from '../core/analysis/evidence/correlation.js';
import {
  addressedOnly,
  type InboundEntry,
  provesArrival,
  repeatsOf,
} from '../core/analysis/evidence/inbound-entry.js';
import type { RunEvidence, Unforwarded } from '../core/analysis/evidence/run-evidence.js';
import { normaliseMessageId } from '../core/analysis/model/events.js';
import type { Finding } from '../core/analysis/model/findings.js';
import { mergeFindings } from './finding-merge.js';
import type { FindingsStore } from './findings-store.js';
import type { InboundIndex } from './inbound-index.js';
import type { SourceUpdates } from './source-updates.js';

/** Findings re-put per call. */
const WRITE_BATCH = 100;

export interface RunCorrelation {
  /**
   * This run's findings now `forwarding` thanks to receipts recorded by earlier runs: the run counts
   * them so on its own records, each under the source id of the run's file that found it (the store
   * may list it under a run of the same file that wrote it later).
   */
  ownReclassified: Finding[];
  /**
   * This run's findings its classifier made `forwarding` from receipts, that an earlier run's receipt
   * naming the refused recipient says its sender addressed: now the classifier's reading without
   * forwarding (each with its scenario), as one run over all the files gives. The run counts them
   * so on its own records (`countAsUnforwarded`), as `ownReclassified`. `correlateRun` always says;
   * absent counts as none.
   */
  ownUnforwarded?: Unforwarded[];
  /** Findings of earlier runs now `forwarding` thanks to this run's receipts. */
  earlierReclassified: number;
  /** False when the run remembered too much to check everything (the nightly job covers the rest). */
  complete: boolean;
}

type CorrelationStore = Pick<
  FindingsStore,
  'getFinding' | 'putFindings' | 'foreignSenderFindingKeys' | 'listSources'
> &
  Pick<SourceUpdates, 'moveToForwarding'>;

/**
 * True when the store holds an upload other than this run's: otherwise there is nothing to
 * correlate with (a first run into a new store), and the lookups are skipped. One small Query.
 */
async function storeHasOtherUploads(
  store: CorrelationStore,
  runSources: ReadonlySet<string>,
): Promise<boolean> {
  const page = await store.listSources({ limit: runSources.size + 1 });
  return page.items.some((source) => !runSources.has(source.id));
}

/** Checks the run's evidence against the store and re-puts what it proves; see the module comment. */
export async function correlateRun(
  store: CorrelationStore,
  index: Pick<InboundIndex, 'lookup'>,
  run: RunEvidence,
  runSources: ReadonlySet<string>,
  forgotten: ReadonlySet<string> = new Set(),
  organisation?: ClassifierOrganisation,
): Promise<Required<RunCorrelation>> {
  const ownReclassified: Finding[] = [];
  const ownUnforwarded: Unforwarded[] = [];
  if (forgotten.size === 0 && !(await storeHasOtherUploads(store, runSources))) {
    return { ownReclassified, ownUnforwarded, earlierReclassified: 0, complete: run.complete };
  }
  let pending: Finding[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length > 0) await store.putFindings(pending);
    pending = [];
  };
  const reclassify = async (
    ids: readonly string[],
    entries: Parameters<typeof reclassifyAsForwarding>[1],
    own = false,
  ) => {
    const changed: Finding[] = [];
    for (const id of ids) {
      const finding = await store.getFinding(id);
      if (finding === undefined) continue;
      const updated = reclassifyAsForwarding(finding, entries);
      if (updated === undefined) {
        // Already `forwarding` in the store by what an earlier run read (its redirect or receipt,
        // with the file this one read again alone), or re-put by the correlation of a run of the same
        // file that wrote it after this one (two uploads side by side): this run counted it
        // `foreign-sender-domain`, and counts it as the store holds it. Nothing is put.
        if (own && isForwardingBy(finding, entries)) changed.push(finding);
        continue;
      }
      changed.push(updated);
      pending.push(updated);
      if (pending.length >= WRITE_BATCH) await flush();
    }
    return changed;
  };

  // 1. This run's candidates against receipts recorded by earlier runs. Within a run the classifier
  //    judged with every file's rows, so the run's own receipts prove arrival only for the findings
  //    whose evidence it says it forgot for its bound (`forgotten`: another file's, far back in the
  //    run). Whom they say the sender addressed still counts: one run over all the files would see
  //    the earlier run's receipt and this run's receipt naming the refused recipient together.
  const candidates = run.candidates();
  // 3. (looked up with 1) Without the organisation the run was judged with, nothing to read them by.
  const onReceipts = organisation === undefined ? new Map<string, string[]>() : run.forwardedOnReceipts();
  if (candidates.size > 0 || onReceipts.size > 0) {
    const found = await index.lookup(new Set([...candidates.keys(), ...onReceipts.keys()]));
    const reading = organisation === undefined ? undefined : new ReadingWithoutInbound(organisation);
    for (const [messageId, entries] of found) {
      // The classifier judged with this run's receipts, and so with another upload's repeats of
      // them (the same file uploaded twice): those only say whom the sender addressed.
      const judged = repeatsOf(entries.filter((entry) => runSources.has(entry.sourceId)));
      const isEarlier = (entry: InboundEntry) => !runSources.has(entry.sourceId) && !judged(entry);
      const earlier = entries.flatMap((entry) => (isEarlier(entry) ? [entry] : (addressedOnly(entry) ?? [])));
      for (const id of candidates.get(messageId) ?? [])
        ownReclassified.push(...(await reclassify([id], forgotten.has(id) ? entries : earlier, true)));
      // Only earlier runs' receipts can say more.
      const elsewhere = entries.filter(isEarlier);
      if (reading === undefined || elsewhere.length === 0) continue;
      for (const id of onReceipts.get(messageId) ?? []) {
        const finding = await store.getFinding(id);
        if (finding === undefined) continue;
        const updated = readingAddressedBySender(finding, elsewhere, reading);
        // Taken back by the correlation of a run of the same file that wrote it after this one: this
        // run counted it `forwarding`, and counts it so too (where it was passed on, the stored
        // reading no longer says: the run's list of origins keeps it).
        if (!updated && isTakenBackBy(finding, elsewhere, reading)) ownUnforwarded.push({ finding });
        // Counted only if the store keeps it: a stored reading it does not replace stays (see finding-merge.ts).
        if (!updated || mergeFindings(finding, updated).scenario !== updated.scenario) continue;
        ownUnforwarded.push({ finding: updated, forwardedFrom: finding.forwardedFrom });
        pending.push(updated);
        if (pending.length >= WRITE_BATCH) await flush();
      }
    }
  }

  // 2. This run's receipts against earlier runs' stored candidates.
  let earlierReclassified = 0;
  /** Findings reclassified per earlier upload, to count on its record once they are stored. */
  const moves = new Map<string, number>();
  if (run.firstReceipt !== undefined && run.lastReceipt !== undefined) {
    // Those taken back from forwarding are this run's too, judged with every upload's receipts.
    const ownIds = new Set([...candidates.values(), ...onReceipts.values()].flat());
    const since = new Date(Date.parse(run.firstReceipt) - CLOCK_SKEW_MS).toISOString();
    const until = new Date(Date.parse(run.lastReceipt) + MAX_FORWARD_DELAY_MS).toISOString();
    for await (const page of store.foreignSenderFindingKeys({ since, until })) {
      const byMessage = new Map<string, string[]>();
      for (const key of page) {
        const messageId = normaliseMessageId(key.messageId);
        if (ownIds.has(key.id) || !run.receipts.has(messageId)) continue;
        const ids = byMessage.get(messageId);
        if (ids) ids.push(key.id);
        else byMessage.set(messageId, [key.id]);
      }
      if (byMessage.size === 0) continue;
      // The run's receipts of these Message-IDs, read back from the index it wrote them to.
      const recorded = await index.lookup(byMessage.keys());
      for (const [messageId, ids] of byMessage) {
        const entries = recorded.get(messageId) ?? [];
        // A receipt of this run that names only outside recipients proves no arrival.
        if (!entries.some((entry) => runSources.has(entry.sourceId) && provesArrival(entry))) continue;
        // All of them, not only this run's: another upload's receipt may name the refused recipient
        // as addressed by the sender, which the nightly job and step 1 would see too.
        for (const finding of await reclassify(ids, entries)) {
          const { sourceId } = finding.source;
          // A finding this run wrote last is counted on its own record, which the run writes.
          if (runSources.has(sourceId)) ownReclassified.push(finding);
          else {
            earlierReclassified += 1;
            moves.set(sourceId, (moves.get(sourceId) ?? 0) + 1);
          }
        }
      }
    }
  }
  await flush();
  // After the findings: a run that fails between the two leaves a count short, never doubled.
  await store.moveToForwarding(moves);
  const counted = countedByRun(run, runSources, [
    ...ownReclassified,
    ...ownUnforwarded.map((own) => own.finding),
  ]);
  return {
    ownReclassified: ownReclassified.map(counted),
    ownUnforwarded: ownUnforwarded.map((own) => ({ ...own, finding: counted(own.finding) })),
    earlierReclassified,
    complete: run.complete,
  };
}

/**
 * This run's findings as its records count them: under the run's file that found each, though the
 * store lists a finding under the upload that wrote it last, which may be another run's by now (the
 * same file uploaded twice, analysed side by side). A copy with that file's source id; what is put
 * in the store keeps the stored one.
 */
function countedByRun(
  run: RunEvidence,
  runSources: ReadonlySet<string>,
  findings: readonly Finding[],
): (finding: Finding) => Finding {
  const elsewhere = new Set(findings.filter((f) => !runSources.has(f.source.sourceId)).map((f) => f.id));
  const own = run.sourcesOf(elsewhere);
  return (finding) => {
    const sourceId = own.get(finding.id);
    if (sourceId === undefined || runSources.has(finding.source.sourceId)) return finding;
    return { ...finding, source: { ...finding.source, sourceId } };
  };
}
