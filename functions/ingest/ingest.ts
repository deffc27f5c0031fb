/**
 * The ingest handler's logic, independent of where its clients come from: for each SQS message,
 * analyse the uploaded object it announces exactly once, and tell SQS which messages to retry.
 *
 * Outcomes per message:
 * - analysed, or skipped because this exact upload was already analysed (idempotency) → success;
 * - the file itself is bad (unknown format, bad encoding, empty, no usable rows…) → the source
 *   record says `failed` with its code, and the message succeeds: retrying cannot fix a file;
 * - anything that may pass on a second try (throttling, network, the deadline) → batch item
 *   failure: SQS redelivers it, and after three receives it lands in the dead-letter queue.
 */
import { randomUUID } from 'node:crypto';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse } from 'aws-lambda';
import type { AnalysisInput, AnalysisResult, AnalyzeOptions, FindingSink } from '../core/analysis/analyze.js';
import { analyze, withInboundRecorder } from '../core/analysis/analyze.js';
import { CLASSIFIER_VERSION, UNVERSIONED } from '../core/analysis/classifier-version.js';
import type { ClassifierOrganisation } from '../core/analysis/evidence/correlation.js';
import type { InboundEntry } from '../core/analysis/evidence/inbound-entry.js';
import {
  countAsForwarding,
  countAsUnforwarded,
  observedBy,
  RunEvidence,
} from '../core/analysis/evidence/run-evidence.js';
import { holdOutcomes } from '../core/analysis/held-outcomes.js';
import type { Finding } from '../core/analysis/model/findings.js';
import {
  isInterrupted,
  newSourceRecord,
  type ResumePoint,
  type SourceLease,
  type SourceRecord,
} from '../core/analysis/model/source-record.js';
import { ErrorCode, RelayAuditError } from '../core/kernel/errors.js';
import { BUCKET_PREFIX } from '../runtime/bucket-layout.js';
import type { HeadObject } from '../runtime/head-object.js';
import type { Logger } from '../runtime/logger.js';
import type { RunCorrelation } from '../store/run-correlation.js';
import type { FindingsBeforeRead } from '../store/source-findings.js';
import { sourceId } from '../store/table-design.js';
import type { ResolvedDomains } from './domain-source.js';
import { InvalidDomainsError, InvalidMessageError, StaleObjectError } from './errors.js';
import type { OpenObject } from './object-reader.js';
import type { ConfigUpdateOutcome, ConfigurationUpdater, ResolvedConnectors } from './organisation-config.js';
import {
  objectIdentity,
  parseMessage,
  parseSqsEvent,
  type S3ObjectRef,
  type SqsEvent,
  type SqsMessage,
} from './s3-event.js';
import { REANNOUNCED_EVENT, reannounceStopped } from './stopped-uploads.js';
import { publishUploadMetrics } from './upload-metrics.js';

/** Failure codes worth another attempt: the file may be fine, the environment was not. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.ReadFailure,
  ErrorCode.StoreFailure,
  ErrorCode.DeadlineReached,
]);

/** True when a failed source record should be analysed again on the next delivery. */
export function isRetryableFailure(code: string | undefined): boolean {
  // A failed record without a code is unexpected: give it another chance rather than lose it.
  return code === undefined || RETRYABLE_CODES.has(code);
}

/** The part of the Lambda context the handler uses. */
export interface InvocationContext {
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/** The store operations ingest needs (a `FindingsStore` satisfies it). */
export interface IngestStore extends FindingSink {
  /** With `deferCounters`: the rollup counters wait for the next source record (see FindingsStore). */
  putFindings(findings: Finding[], options?: { deferCounters?: boolean }): Promise<unknown>;
  getSource(id: string): Promise<SourceRecord | undefined>;
  /** With `leaseOwner`: only while that owner holds the record's lease (else it throws). */
  putSource(record: SourceRecord, options?: { leaseOwner?: string }): Promise<unknown>;
  /** Takes the lease if the record is still `previous`; false when another attempt got there first. */
  claimSource(record: SourceRecord, previous: SourceRecord | undefined): Promise<boolean>;
  /**
   * Removes the findings of a source that another classifier version wrote (see
   * `FindingsStore.removeOutdatedFindings`); needed by re-analysis only.
   */
  removeOutdatedFindings?(sourceId: string, version: string): Promise<{ removed: number }>;
  /**
   * What an earlier attempt stored of a source (`existing` is its record), taken before a read
   * from its start (see `FindingsStore.findingsBeforeRead`): without it, what that attempt stored
   * and the whole read keys otherwise stays beside the whole read's findings.
   */
  findingsBeforeRead?(existing: SourceRecord | undefined): Promise<FindingsBefore | undefined>;
  /** Source records, newest first: where the uploads an invalid configuration stopped are found. */
  listSources?(options: {
    limit: number;
    cursor?: string;
  }): Promise<{ items: SourceRecord[]; cursor?: string }>;
}

/** What an earlier attempt stored of a source (see `FindingsBeforeRead`). */
export type FindingsBefore = Pick<FindingsBeforeRead, 'size' | 'removeNotRewritten'>;

export interface IngestDependencies {
  store: IngestStore;
  /**
   * Records the inbound Message-ID index entries of each analysed upload (see
   * functions/store/inbound-index.ts), which the nightly job correlates across uploads.
   */
  recordInbound?: (entries: InboundEntry[]) => Promise<unknown>;
  /**
   * The end-of-run correlation (functions/store/run-correlation.ts): forwarding across uploads
   * settled as soon as this upload is analysed, not only by the nightly job.
   */
  correlateRun?: (
    evidence: RunEvidence,
    sourceId: string,
    organisation: ClassifierOrganisation,
  ) => Promise<RunCorrelation>;
  /**
   * Opens the announced object for streaming (see `openObject`); with `from`, only its head and
   * the bytes from a resume point on (a plain object: see `openObjectFrom`).
   */
  openObject(ref: S3ObjectRef, from?: { headBytes: number; fromByte: number }): Promise<OpenObject>;
  /**
   * Puts a message body back on the ingest queue as a new message: how an upload too big for one
   * invocation goes on in the next (a continuation), and how messages of a batch that were never
   * tried are handed back without spending one of their receives. Without it they are retried.
   */
  sendToQueue?(body: string): Promise<void>;
  /**
   * An object's current version: with `sendToQueue` and the store's `listSources`, what announces
   * again the uploads an invalid accepted-domains file stopped, once it is fixed (stopped-uploads.ts).
   */
  headObject?: HeadObject;
  /** The accepted domains for the next analysis. */
  resolveDomains(): Promise<ResolvedDomains>;
  /**
   * The organisation's OnPremises inbound connectors for the next analysis (from the stored
   * configuration), so each finding's remediation names the one that matters to it; absent:
   * findings use a placeholder.
   */
  resolveConnectors?(): Promise<ResolvedConnectors | undefined>;
  /** Checks and stores the organisation configuration when something under `config/` changes. */
  configuration?: ConfigurationUpdater;
  /** Drops cached configuration (accepted domains, connector) once `config/` changed. */
  invalidateConfiguration?(): void;
  logger: Logger;
  /** Where each upload's metrics go (see upload-metrics.ts); none: no metrics. */
  metrics?: Metrics;
  /** DynamoDB requests sent again so far (see store/request-retries.ts), read before and after each upload. */
  retries?: () => number;
  /** The classifier's window and memory (defaults: analyze's); tests and benchmarks make them small. */
  analysis?: Pick<AnalyzeOptions, 'windowEvents' | 'maxTrackedMessages'>;
  /**
   * Stop this long before the deadline (default 30 s): enough to flush the findings read so far,
   * write the source record and return the batch response before Lambda kills the invocation.
   */
  stopMarginMs?: number;
}

/** What an analysis left: the record it claimed (`before`) and the one it wrote. */
type Analysed = { record: SourceRecord; before: SourceRecord };

/** What happened to one announced object. */
export type ObjectOutcome =
  | ({ result: 'analysed' } & Analysed)
  | ({ result: 'continued' } & Analysed)
  | ({ result: 'failed-permanently' } & Analysed)
  | { result: 'skipped'; reason: string }
  | { result: 'retry'; reason: string };

export type IngestHandler = (event: unknown, context: InvocationContext) => Promise<SQSBatchResponse>;

/** True for an object of the organisation configuration (not a folder placeholder). */
export function isConfigKey(key: string): boolean {
  return key.startsWith(BUCKET_PREFIX.config) && !key.endsWith('/');
}

/**
 * Why an object is analysed: an `upload` announced by S3 (analysed once per content), or a
 * `reanalysis` by the state machine (analysed again when an older classifier version read it;
 * a continuation is the caller's to start, not the queue's).
 */
export type IngestMode = 'upload' | 'reanalysis';

/** What every step of one invocation needs: the handler's dependencies and the invocation's clock. */
interface Invocation {
  deps: IngestDependencies;
  context: InvocationContext;
  /** True once the invocation is too close to its deadline to start or go on reading. */
  shouldStop: () => boolean;
  mode: IngestMode;
}

/** Builds the SQS handler around its dependencies (real clients in Lambda, local engines in tests). */
export function createIngestHandler(deps: IngestDependencies): IngestHandler {
  return async (event, context) => handleBatch(invocation(deps, context, 'upload'), parseSqsEvent(event));
}

/** One invocation's clock around the handler's dependencies. */
function invocation(deps: IngestDependencies, context: InvocationContext, mode: IngestMode): Invocation {
  const stopMarginMs = deps.stopMarginMs ?? 30_000;
  const shouldStop = (): boolean => context.getRemainingTimeInMillis() < stopMarginMs;
  return { deps, context, shouldStop, mode };
}

/** Re-analyses one object of `incoming/` (see {@link ReanalysisWorker}). */
export type ReanalysisWorker = (
  ref: S3ObjectRef,
  context: InvocationContext,
  log: Logger,
) => Promise<ObjectOutcome>;

/**
 * The re-analysis of one object through the same path as an upload: an object an older classifier
 * version read (or that failed for good under one) is analysed again, its findings rewritten under
 * the same ids and those it no longer finds removed; one the current version read is skipped. An
 * object that does not fit the invocation ends `continued`: the caller invokes again and the next
 * invocation goes on from the resume point.
 */
export function createReanalysisWorker(deps: IngestDependencies): ReanalysisWorker {
  return (ref, context, log) =>
    ingestObject(invocation(deps, context, 'reanalysis'), ref, '', log).catch(
      (error: unknown): ObjectOutcome => {
        log.error('re-analysis failed; will retry', { error });
        return { result: 'retry', reason: error instanceof Error ? error.message : String(error) };
      },
    );
}

/** Handles the messages of a batch in order; those it must retry are the batch item failures. */
async function handleBatch(run: Invocation, sqsEvent: SqsEvent): Promise<SQSBatchResponse> {
  const logger = run.deps.logger.createChild({ persistentKeys: { requestId: run.context.awsRequestId } });
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of sqsEvent.Records) {
    const log = logger.createChild({ persistentKeys: { messageId: message.messageId } });
    if (run.shouldStop()) {
      if (!(await handBack(run.deps, message, log)))
        batchItemFailures.push({ itemIdentifier: message.messageId });
      continue;
    }
    if (await processMessage(run, message, log))
      batchItemFailures.push({ itemIdentifier: message.messageId });
  }
  logger.info('batch processed', {
    messages: sqsEvent.Records.length,
    retried: batchItemFailures.length,
  });
  return { batchItemFailures };
}

/**
 * A message this invocation has no time to try: sent again as a new message and acknowledged, so it
 * comes back with all its receives (a batch item failure would spend one, and three send it to the
 * dead-letter queue). Returns false when it could not be sent: then it is a batch item failure.
 */
async function handBack(deps: IngestDependencies, message: SqsMessage, log: Logger): Promise<boolean> {
  if (deps.sendToQueue === undefined) {
    log.warn('deadline near: message left for redelivery');
    return false;
  }
  try {
    await deps.sendToQueue(message.body);
    log.info('deadline near: message handed back untried');
    return true;
  } catch (error) {
    log.warn('deadline near: could not hand the message back; left for redelivery', { error });
    return false;
  }
}

/** Handles one message; returns true when SQS should deliver it again. */
async function processMessage(run: Invocation, message: SqsMessage, log: Logger): Promise<boolean> {
  let objects: S3ObjectRef[];
  let removed: S3ObjectRef[];
  try {
    const parsed = parseMessage(message);
    if (parsed.kind === 'test-event') {
      log.info('s3:TestEvent ignored');
      return false;
    }
    if (parsed.ignored > 0) log.info('non-ObjectCreated records ignored', { ignored: parsed.ignored });
    objects = parsed.objects;
    removed = parsed.removed;
  } catch (error) {
    // Malformed input never becomes valid: let it reach the DLQ, where the alarm shows it.
    log.error('message rejected', { error });
    return true;
  }

  let retry = false;
  // Configuration first: a trace in the same message is then analysed with the new connector.
  const configChanges = [...objects, ...removed].filter((ref) => isConfigKey(ref.key));
  if (configChanges.length > 0) {
    const configLog = log.createChild({
      persistentKeys: { configKeys: configChanges.map((ref) => ref.key) },
    });
    if (await updateConfiguration(run.deps, configChanges[0]?.bucket, configLog)) retry = true;
  }
  const ignoredRemovals = removed.length - removed.filter((ref) => isConfigKey(ref.key)).length;
  if (ignoredRemovals > 0) log.info('ObjectRemoved records ignored', { ignored: ignoredRemovals });
  for (const ref of objects.filter((candidate) => !isConfigKey(candidate.key))) {
    const objectLog = log.createChild({ persistentKeys: { bucket: ref.bucket, key: ref.key } });
    const started = performance.now();
    const retriesBefore = run.deps.retries?.() ?? 0;
    const outcome = await ingestObject(run, ref, message.body, objectLog).catch(
      (error: unknown): ObjectOutcome => {
        objectLog.error('ingest failed; will retry', { error });
        return { result: 'retry', reason: error instanceof Error ? error.name : 'error' };
      },
    );
    logOutcome(objectLog, outcome);
    if ('record' in outcome || outcome.result === 'retry') {
      publishUploadMetrics(run.deps.metrics, {
        key: ref.key,
        outcome: outcome.result,
        ...('record' in outcome ? { records: { before: outcome.before, after: outcome.record } } : {}),
        seconds: (performance.now() - started) / 1000,
        retries: (run.deps.retries?.() ?? 0) - retriesBefore,
      });
    }
    if (outcome.result === 'retry') retry = true;
  }
  return retry;
}

/**
 * Something under `config/` changed: drop the cached configuration, then check and store the
 * whole current configuration, and announce again the uploads an invalid accepted-domains file
 * stopped when it reads now (stopped-uploads.ts). Returns true when SQS should deliver the message
 * again (the bucket, the table or the queue failed); a malformed file is a stored result, never a retry.
 */
async function updateConfiguration(
  deps: IngestDependencies,
  bucket: string | undefined,
  log: Logger,
): Promise<boolean> {
  deps.invalidateConfiguration?.();
  if (deps.configuration === undefined) {
    log.info('skipped', { reason: 'configuration checks are not wired in this handler' });
    return false;
  }
  let outcome: ConfigUpdateOutcome;
  try {
    outcome = await deps.configuration.update();
  } catch (error) {
    log.error('configuration check failed; will retry', { error });
    return true;
  }
  // Again after storing: whatever was resolved meanwhile came from the previous configuration.
  deps.invalidateConfiguration?.();
  logConfigOutcome(log, outcome);
  if (bucket === undefined) return false;
  try {
    await reannounceStopped(
      {
        ...(deps.store.listSources === undefined
          ? {}
          : { listSources: deps.store.listSources.bind(deps.store) }),
        ...(deps.headObject === undefined ? {} : { headObject: deps.headObject }),
        ...(deps.sendToQueue === undefined ? {} : { sendToQueue: deps.sendToQueue }),
        resolveDomains: deps.resolveDomains,
      },
      bucket,
      log,
    );
  } catch (error) {
    log.error('could not announce again the uploads the configuration stopped; will retry', { error });
    return true;
  }
  return false;
}

/** Whether an announced object is to be analysed now: its source id and earlier record, or why not. */
type Admission =
  | { admit: true; id: string; identity: string; existing: SourceRecord | undefined }
  | { admit: false; outcome: ObjectOutcome };

/**
 * True when a finished record was written by the current classifier: a re-analysis leaves it alone.
 * Every finished record of an upload is final, whatever its version.
 */
function isCurrent(record: SourceRecord, mode: IngestMode): boolean {
  return mode === 'upload' || record.classifierVersion === CLASSIFIER_VERSION;
}

/** Decides from the key and the stored source record whether this delivery analyses the object. */
async function admit(
  store: IngestStore,
  ref: S3ObjectRef,
  log: Logger,
  mode: IngestMode,
): Promise<Admission> {
  const no = (outcome: ObjectOutcome): Admission => ({ admit: false, outcome });
  if (!ref.key.startsWith(BUCKET_PREFIX.incoming))
    return no({ result: 'skipped', reason: 'not under incoming/' });
  if (ref.key.endsWith('/')) return no({ result: 'skipped', reason: 'folder placeholder' });
  let identity: string;
  try {
    identity = objectIdentity(ref);
  } catch (error) {
    if (error instanceof InvalidMessageError) return no({ result: 'retry', reason: error.message });
    throw error;
  }
  const id = sourceId(identity);
  const existing = await store.getSource(id);
  if (existing?.status === 'done' && isCurrent(existing, mode))
    return no({ result: 'skipped', reason: 'already analysed' });
  // A record of a stale object does not end the upload: in a bucket without versions the same bytes
  // put back under the key have the same identity, and their own notification must read them (a key
  // still gone fails again at the read, for one GET).
  // Nor one the accepted domains stopped: a re-analysis, or the announcement the fixed configuration
  // sends (stopped-uploads.ts), is how it is read once they are fixed.
  if (
    existing?.status === 'failed' &&
    !isRetryableFailure(existing.errorCode) &&
    existing.errorCode !== ErrorCode.StaleObject &&
    !(
      (mode === 'reanalysis' || ref.eventName === REANNOUNCED_EVENT) &&
      existing.errorCode === ErrorCode.InvalidConfig
    ) &&
    isCurrent(existing, mode)
  ) {
    return no({ result: 'skipped', reason: `already failed permanently (${existing.errorCode})` });
  }
  if (mode === 'upload' && existing?.replacedVersion !== undefined) {
    // A re-analysis not finished yet (going on, or failed and retried by the state machine or the
    // next run): only it removes what the older classifier found, so an upload's path stays out.
    return no({ result: 'skipped', reason: 'being re-analysed' });
  }
  if (existing?.status === 'processing' && existing.lease !== undefined && !isInterrupted(existing)) {
    // Another delivery of the same upload is analysing it: back off, SQS brings the message back.
    return no({
      result: 'retry',
      reason: `another delivery holds the lease until ${existing.lease.expiresAt}`,
    });
  }
  if (existing) {
    // An earlier attempt stopped at a resume point (go on from it), failed transiently, or died
    // mid-way (start over from its resume point if it has one, else from the start).
    log.info(existing.resume === undefined ? 'analysing again' : 'going on from the resume point', {
      previousStatus: existing.status,
      previousError: existing.errorCode,
      interrupted: isInterrupted(existing),
      ...(existing.resume === undefined ? {} : { resume: existing.resume }),
    });
  }
  return { admit: true, id, identity, existing };
}

/**
 * Takes the lease on the source record before the object is opened: of concurrent deliveries
 * exactly one analyses it. The lease lasts as long as this invocation can: after its deadline the
 * attempt is surely dead. Returns the claimed record, or the outcome when another delivery won.
 */
async function claim(
  run: Invocation,
  ref: S3ObjectRef,
  id: string,
  existing: SourceRecord | undefined,
): Promise<{ claimed: SourceRecord & { lease: SourceLease } } | { outcome: ObjectOutcome }> {
  const lease: SourceLease = {
    owner: `${run.context.awsRequestId}/${randomUUID()}`,
    expiresAt: new Date(Date.now() + run.context.getRemainingTimeInMillis()).toISOString(),
  };
  const replacedVersion = replacedVersionOf(existing, run.mode);
  const claimed = replacing(
    {
      ...(existing?.resume === undefined
        ? newSourceRecord(id, ref.key, new Date())
        : goingOn(existing, existing.resume)),
      lease,
    },
    replacedVersion,
  );
  if (await run.deps.store.claimSource(claimed, existing)) return { claimed };
  const now = await run.deps.store.getSource(id);
  if (now?.status === 'done')
    return { outcome: { result: 'skipped', reason: 'analysed by another delivery' } };
  return { outcome: { result: 'retry', reason: 'another delivery claimed it first' } };
}

/**
 * The classifier version a re-analysis replaces: the one that finished the record (`unversioned`
 * before versions were recorded), or the one an interrupted re-analysis was already replacing.
 */
function replacedVersionOf(existing: SourceRecord | undefined, mode: IngestMode): string | undefined {
  if (existing === undefined || mode !== 'reanalysis') return undefined;
  if (existing.replacedVersion !== undefined) return existing.replacedVersion;
  if (existing.status === 'processing' || isCurrent(existing, mode)) return undefined;
  return existing.classifierVersion ?? UNVERSIONED;
}

/** `record` carrying the classifier version a re-analysis replaces, when there is one. */
function replacing<R extends SourceRecord>(record: R, replacedVersion: string | undefined): R {
  return replacedVersion === undefined ? record : { ...record, replacedVersion };
}

/**
 * A record with a resume point goes on with its counts, `processing` again (an attempt that failed
 * transiently after it, a read or a store failure, keeps the point: its retry goes on from there).
 */
function goingOn(existing: SourceRecord, resume: ResumePoint): SourceRecord {
  const { errorCode: _code, errorMessage: _message, finishedAt: _finished, ...counts } = existing;
  return { ...counts, status: 'processing', resume: { ...resume, continuations: resume.continuations + 1 } };
}

/**
 * A sink whose every record carries the lease (and the version a re-analysis replaces) and lands
 * only while the lease is still its own.
 */
function leasedSink(store: IngestStore, claimed: SourceRecord & { lease: SourceLease }): FindingSink {
  const { lease, replacedVersion } = claimed;
  return {
    // Counted at each record the run writes (its checkpoints), not per batch.
    putFindings: (findings) => store.putFindings(findings, { deferCounters: true }),
    putSource: (record) =>
      store.putSource(replacing({ ...record, lease }, replacedVersion), { leaseOwner: lease.owner }),
  };
}

/**
 * Opens the object. A read that fails is recorded on the source record — not left `processing`
 * under a live lease, which would hold off every redelivery until it ran out — then rethrown, or,
 * for an object deleted or replaced since its notification, turned into a skip.
 */
async function openClaimed(
  run: Invocation,
  ref: S3ObjectRef,
  claimed: SourceRecord,
  sink: FindingSink,
  log: Logger,
): Promise<{ object: OpenObject } | { outcome: ObjectOutcome }> {
  try {
    // A plain object is entered at the resume point; gzip is inflated from its start and skipped.
    const from = claimed.resume;
    return {
      object: await (from === undefined || from.compressed
        ? run.deps.openObject(ref)
        : run.deps.openObject(ref, from)),
    };
  } catch (error) {
    const failed: SourceRecord = {
      ...claimed,
      status: 'failed',
      // STALE_OBJECT (deleted or replaced: not retried) or the read's own failure (retried).
      errorCode: error instanceof RelayAuditError ? error.code : ErrorCode.ReadFailure,
      errorMessage: `${ref.key}: ${error instanceof Error ? error.message : String(error)}`,
      finishedAt: new Date().toISOString(),
    };
    await sink.putSource(failed).catch((writeError: unknown) => {
      log.warn('could not record the failed read; its lease runs out instead', { error: writeError });
    });
    if (error instanceof StaleObjectError) return { outcome: { result: 'skipped', reason: error.message } };
    throw error;
  }
}

/**
 * The accepted domains are invalid (see `InvalidDomainsError`): the upload is claimed and recorded
 * as failed with what is wrong and what to do, so its row says so, instead of being retried into
 * the dead-letter queue with no record at all. Not analysed with inferred domains instead: its
 * findings would be stored as if the organisation's list had been read. Once the file is fixed, a
 * re-analysis reads it again (`admit`), or the upload is made again.
 */
async function failForDomains(
  run: Invocation,
  ref: S3ObjectRef,
  admitted: { id: string; existing: SourceRecord | undefined },
  error: InvalidDomainsError,
): Promise<ObjectOutcome> {
  const claiming = await claim(run, ref, admitted.id, admitted.existing);
  if ('outcome' in claiming) return claiming.outcome;
  const { claimed } = claiming;
  // Single-quoted (a dashboard key keeps the file name's spaces), cut before any quote: POSIX shells and
  // PowerShell escape one differently, and the part before it still lists the object.
  const prefix = `'${ref.key.slice(BUCKET_PREFIX.incoming.length).split("'")[0] ?? ''}'`;
  const record: SourceRecord = {
    ...claimed,
    status: 'failed',
    errorCode: ErrorCode.InvalidConfig,
    errorMessage:
      `${error.message} Once it reads, this upload is analysed again by itself; to do it by hand: ` +
      `npx relay-audit reanalyze --prefix ${prefix} (or upload the file again from the dashboard).`,
    finishedAt: new Date().toISOString(),
  };
  await leasedSink(run.deps.store, claimed).putSource(record);
  return { result: 'failed-permanently', record, before: claimed };
}

/**
 * Analyses one object unless this upload was already analysed. `body` is the message that
 * announced it: sent again as the continuation when the object does not fit this invocation.
 */
async function ingestObject(
  run: Invocation,
  ref: S3ObjectRef,
  body: string,
  log: Logger,
): Promise<ObjectOutcome> {
  const { deps } = run;
  const admission = await admit(deps.store, ref, log, run.mode);
  if (!admission.admit) return admission.outcome;
  const { id, identity, existing } = admission;

  // Configuration first: one that could not be read is retried before anything is claimed; an
  // invalid one fails the upload (see failForDomains).
  let domains: ResolvedDomains;
  try {
    domains = await deps.resolveDomains();
  } catch (error) {
    // A re-analysis of an upload done before leaves its record as it is: the run reports the item.
    if (error instanceof InvalidDomainsError && existing?.status !== 'done')
      return failForDomains(run, ref, { id, existing }, error);
    throw error;
  }
  const connectors = await deps.resolveConnectors?.();
  // What an earlier attempt stored that a read from the start may key otherwise (a mail log read
  // newest first and stopped: by queue id); before the claim, so a failure leaves nothing claimed.
  const before = await deps.store.findingsBeforeRead?.(existing);

  const claiming = await claim(run, ref, id, existing);
  if ('outcome' in claiming) return claiming.outcome;
  const { claimed } = claiming;
  const sink = leasedSink(deps.store, claimed);
  const opened = await openClaimed(run, ref, claimed, sink, log);
  if ('outcome' in opened) return opened.outcome;
  const { object } = opened;

  log.info('analysing', {
    sourceId: id,
    identity,
    size: object.size,
    domains: domains.origin,
    ...(connectors === undefined
      ? {}
      : {
          inboundConnectors: connectors.connectors.map((connector) => connector.name),
          inboundConnectorsOrigin: connectors.origin,
        }),
  });
  // The record says `done` once the correlation and the removal of outdated findings are over too.
  const outcomes = holdOutcomes(sink);
  let analysed: { result: AnalysisResult; record: SourceRecord };
  try {
    const job = { ref, claimed, object, domains, connectors, before };
    analysed = await analyseObject(run, job, outcomes.sink, log);
  } catch (error) {
    await outcomes.release().catch((writeError: unknown) => {
      log.warn('could not record the outcome; its lease runs out instead', { error: writeError });
    });
    throw error;
  }
  await outcomes.release();
  const { result, record } = analysed;
  if (result.stopped && record.resume !== undefined)
    return continueLater(run, replacing(record, claimed.replacedVersion), claimed, body);
  return outcomeOf(result, record, claimed);
}

/** Analyses the claimed, opened object into `sink`, then settles what its analysis leaves to do. */
async function analyseObject(
  run: Invocation,
  job: {
    ref: S3ObjectRef;
    claimed: SourceRecord;
    object: OpenObject;
    domains: ResolvedDomains;
    connectors: ResolvedConnectors | undefined;
    before: FindingsBefore | undefined;
  },
  sink: FindingSink,
  log: Logger,
): Promise<{ result: AnalysisResult; record: SourceRecord }> {
  const { deps } = run;
  const { ref, claimed, object, domains, connectors, before } = job;
  const evidence = new RunEvidence();
  let result: AnalysisResult;
  try {
    result = await analyze([inputOf(ref, claimed, object)], {
      domains: domains.oracle,
      sink: observedBy(
        deps.recordInbound === undefined ? sink : withInboundRecorder(sink, deps.recordInbound),
        evidence,
      ),
      shouldStop: run.shouldStop,
      ...deps.analysis,
      ...(connectors === undefined ? {} : { inboundConnectors: connectors.connectors }),
    });
  } finally {
    object.close();
  }
  const record = result.sources[0];
  if (!record) throw new Error(`analyze returned no source record for ${ref.key}`);
  if (!result.stopped && record.status === 'done') {
    // Before the correlation: a leftover it reclassified would be put again, and stay.
    if (before !== undefined && before.size > 0)
      await removeNotFoundAgain(record, sink, log, {
        remove: () => before.removeNotRewritten(),
        done: 'findings of an earlier attempt the read did not find again removed',
        failed: 'removing the findings of an earlier attempt failed',
      });
    // What the classifier judged with: a forwarding finding an earlier upload's receipt undoes is read again so.
    const organisation: ClassifierOrganisation = {
      domains: domains.oracle,
      inboundConnectors: connectors?.connectors,
    };
    await correlate(run, { result, record, evidence, organisation }, sink, log);
    if (claimed.replacedVersion !== undefined) await removeOutdated(run, record, sink, log);
  }
  return { result, record };
}

/** The analysis input of an opened object (going on from the claimed record's resume point, if any). */
function inputOf(ref: S3ObjectRef, claimed: SourceRecord, object: OpenObject): AnalysisInput {
  const { resume } = claimed;
  return {
    name: ref.key,
    sourceId: claimed.id,
    // A refused object's advice is for whoever uploaded it: unpack their copy, upload the result.
    origin: 'upload',
    // A body that is not sliced (gzip, or a reader without ranges) is skipped while it is read.
    ...(resume === undefined
      ? {}
      : { resume: { record: { ...claimed, resume }, sliced: object.sliced === true } }),
    ...(object.size === undefined ? {} : { size: object.size }),
    ...(object.modified === undefined ? {} : { modified: object.modified }),
    ...(object.uploaded === undefined ? {} : { uploaded: object.uploaded }),
    open: () => object.body,
  };
}

/**
 * Settles forwarding across uploads as soon as this one is analysed; refusals of this upload that
 * turn out to be forwarding are counted as such on its record.
 */
async function correlate(
  run: Invocation,
  analysed: {
    result: AnalysisResult;
    record: SourceRecord;
    evidence: RunEvidence;
    organisation: ClassifierOrganisation;
  },
  sink: FindingSink,
  log: Logger,
): Promise<void> {
  if (run.deps.correlateRun === undefined) return;
  const { result, record, evidence, organisation } = analysed;
  const correlation = await run.deps.correlateRun(evidence, record.id, organisation);
  const unforwarded = correlation.ownUnforwarded ?? [];
  if (correlation.ownReclassified.length > 0 || unforwarded.length > 0) {
    countAsForwarding(result, correlation.ownReclassified);
    countAsUnforwarded(result, unforwarded);
    await sink.putSource(record);
  }
  log.info('correlated with earlier uploads', {
    sourceId: record.id,
    reclassifiedThisUpload: correlation.ownReclassified.length,
    unforwardedThisUpload: unforwarded.length,
    reclassifiedEarlierUploads: correlation.earlierReclassified,
    complete: correlation.complete,
  });
}

/**
 * A finished re-analysis: what the replaced version found and this one no longer does is removed
 * (see {@link removeNotFoundAgain}).
 */
async function removeOutdated(
  run: Invocation,
  record: SourceRecord,
  sink: FindingSink,
  log: Logger,
): Promise<void> {
  const remove = run.deps.store.removeOutdatedFindings;
  if (remove === undefined) throw new Error('re-analysis needs a store that removes outdated findings');
  await removeNotFoundAgain(record, sink, log, {
    remove: () => remove.call(run.deps.store, record.id, CLASSIFIER_VERSION),
    done: 'findings the current classifier no longer finds removed',
    failed: 'removing the findings of an older classifier failed',
  });
}

/**
 * Removes the findings of the source a finished read did not find again (`remove`). When that
 * fails the record says so (a store failure, retried): the next attempt analyses the object again
 * and removes them then, rather than leaving them behind a `done` record.
 */
async function removeNotFoundAgain(
  record: SourceRecord,
  sink: FindingSink,
  log: Logger,
  removal: { remove: () => Promise<{ removed: number }>; done: string; failed: string },
): Promise<void> {
  try {
    const { removed } = await removal.remove();
    log.info(removal.done, { sourceId: record.id, removed });
  } catch (error) {
    Object.assign(record, {
      status: 'failed',
      errorCode: ErrorCode.StoreFailure,
      errorMessage: `${removal.failed}: ${error instanceof Error ? error.message : String(error)}`,
    });
    await sink.putSource(record);
    throw error;
  }
}

/**
 * The object did not fit this invocation and its record holds a resume point: the lease is given
 * up now (so the continuation need not wait for it to run out) and the announcing message is sent
 * again, as a new message, for the next invocation to go on from there. Without a queue to send
 * to, SQS redelivers the message instead, which goes on from the same point.
 */
async function continueLater(
  run: Invocation,
  record: SourceRecord,
  claimed: SourceRecord & { lease: SourceLease },
  body: string,
): Promise<ObjectOutcome> {
  const { lease } = claimed;
  const released = { ...record, lease: { ...lease, expiresAt: new Date().toISOString() } };
  await run.deps.store.putSource(released, { leaseOwner: lease.owner });
  // The state machine invokes the re-analysis again itself; an upload goes on through the queue.
  if (run.mode === 'reanalysis') return { result: 'continued', record, before: claimed };
  if (run.deps.sendToQueue === undefined) {
    return {
      result: 'retry',
      reason: `${ErrorCode.DeadlineReached}: goes on from line ${record.resume?.countFrom}`,
    };
  }
  await run.deps.sendToQueue(body);
  return { result: 'continued', record, before: claimed };
}

/** What the analysis of one object means for its message. */
function outcomeOf(result: AnalysisResult, record: SourceRecord, before: SourceRecord): ObjectOutcome {
  if (result.stopped)
    return { result: 'retry', reason: `${ErrorCode.DeadlineReached}: ${record.errorMessage ?? ''}` };
  if (record.status === 'failed') {
    if (isRetryableFailure(record.errorCode)) {
      return { result: 'retry', reason: `${record.errorCode}: ${record.errorMessage ?? ''}` };
    }
    return { result: 'failed-permanently', record, before };
  }
  return { result: 'analysed', record, before };
}

/** Logs a configuration check: the summary, and each error and warning with what it involves. */
function logConfigOutcome(log: Logger, outcome: ConfigUpdateOutcome): void {
  if (outcome.result !== 'checked') {
    log.info(
      outcome.result === 'unchanged'
        ? 'configuration unchanged; already checked'
        : 'a later configuration snapshot was stored meanwhile',
      { configHash: outcome.configHash },
    );
    return;
  }
  const { config, report } = outcome;
  log.info('configuration checked', {
    configHash: config.hash,
    files: config.files.map((file) => file.name),
    ignoredFiles: config.ignored,
    relayConnector: report.inputs.connectors?.relayConnector ?? null,
    summary: report.summary,
    results: report.results.map((result) => ({
      id: result.id,
      severity: result.severity,
      objects: result.objects,
    })),
  });
  for (const file of config.files) {
    if (file.privateKeysRemoved !== undefined) {
      log.warn('private key in a configuration file: not stored; remove it from the bucket', {
        file: file.name,
      });
    }
  }
  for (const result of report.results) {
    if (result.severity === 'info') continue;
    // Not `message`: that is the log line's own field.
    const fields = { id: result.id, objects: result.objects, detail: result.message };
    if (result.severity === 'error') log.warn('readiness error', fields);
    else log.info('readiness warning', fields);
  }
}

function logOutcome(log: Logger, outcome: ObjectOutcome): void {
  switch (outcome.result) {
    case 'continued':
      log.info('deadline near: continues in the next invocation', {
        sourceId: outcome.record.id,
        rowsRead: outcome.record.rowsRead,
        resume: outcome.record.resume,
      });
      return;
    case 'analysed':
      log.info('analysed', {
        sourceId: outcome.record.id,
        format: outcome.record.format,
        rowsRead: outcome.record.rowsRead,
        rowsSkipped: outcome.record.rowsSkipped,
        findingsByScenario: outcome.record.findingsByScenario,
      });
      return;
    case 'failed-permanently':
      log.warn('file cannot be analysed; not retried', {
        sourceId: outcome.record.id,
        errorCode: outcome.record.errorCode,
        errorMessage: outcome.record.errorMessage,
      });
      return;
    case 'skipped':
      log.info('skipped', { reason: outcome.reason });
      return;
    case 'retry':
      log.warn('will retry', { reason: outcome.reason });
      return;
  }
}
