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
import type { SQSBatchResponse } from 'aws-lambda';
import type { AnalysisInput, AnalysisResult, FindingSink } from '../core/analysis/analyze.js';
import { analyze, withInboundRecorder } from '../core/analysis/analyze.js';
import type { InboundEntry } from '../core/analysis/evidence/inbound-entry.js';
import { countAsForwarding, observedBy, RunEvidence } from '../core/analysis/evidence/run-evidence.js';
import {
  isInterrupted,
  newSourceRecord,
  type SourceLease,
  type SourceRecord,
} from '../core/analysis/model/source-record.js';
import { ErrorCode, RelayAuditError } from '../core/kernel/errors.js';
import { BUCKET_PREFIX } from '../runtime/bucket-layout.js';
import type { Logger } from '../runtime/logger.js';
import type { RunCorrelation } from '../store/run-correlation.js';
import { sourceId } from '../store/table-design.js';
import type { ResolvedDomains } from './domain-source.js';
import { InvalidMessageError, StaleObjectError } from './errors.js';
import type { OpenObject } from './object-reader.js';
import type { ConfigUpdateOutcome, ConfigurationUpdater, ResolvedConnector } from './organisation-config.js';
import {
  objectIdentity,
  parseMessage,
  parseSqsEvent,
  type S3ObjectRef,
  type SqsMessage,
} from './s3-event.js';

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
  getSource(id: string): Promise<SourceRecord | undefined>;
  /** With `leaseOwner`: only while that owner holds the record's lease (else it throws). */
  putSource(record: SourceRecord, options?: { leaseOwner?: string }): Promise<unknown>;
  /** Takes the lease if the record is still `previous`; false when another attempt got there first. */
  claimSource(record: SourceRecord, previous: SourceRecord | undefined): Promise<boolean>;
}

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
  correlateRun?: (evidence: RunEvidence, sourceId: string) => Promise<RunCorrelation>;
  /** Opens the announced object for streaming (see `openObject`). */
  openObject(ref: S3ObjectRef): Promise<OpenObject>;
  /** The accepted domains for the next analysis. */
  resolveDomains(): Promise<ResolvedDomains>;
  /**
   * The organisation's inbound connector for the next analysis (from the stored configuration),
   * so ndr/forwarding/foreign-sender-domain remediation names it; absent: findings use a placeholder.
   */
  resolveConnector?(): Promise<ResolvedConnector | undefined>;
  /** Checks and stores the organisation configuration when something under `config/` changes. */
  configuration?: ConfigurationUpdater;
  /** Drops cached configuration (accepted domains, connector) once `config/` changed. */
  invalidateConfiguration?(): void;
  logger: Logger;
  /**
   * Stop this long before the deadline (default 30 s): enough to flush the findings read so far,
   * write the source record and return the batch response before Lambda kills the invocation.
   */
  stopMarginMs?: number;
}

/** What happened to one announced object. */
type ObjectOutcome =
  | { result: 'analysed'; record: SourceRecord }
  | { result: 'failed-permanently'; record: SourceRecord }
  | { result: 'skipped'; reason: string }
  | { result: 'retry'; reason: string };

export type IngestHandler = (event: unknown, context: InvocationContext) => Promise<SQSBatchResponse>;

/** True for an object of the organisation configuration (not a folder placeholder). */
export function isConfigKey(key: string): boolean {
  return key.startsWith(BUCKET_PREFIX.config) && !key.endsWith('/');
}

/** Builds the SQS handler around its dependencies (real clients in Lambda, local engines in tests). */
export function createIngestHandler(deps: IngestDependencies): IngestHandler {
  const stopMarginMs = deps.stopMarginMs ?? 30_000;

  return async (event, context) => {
    const logger = deps.logger.child({ requestId: context.awsRequestId });
    const sqsEvent = parseSqsEvent(event);
    const shouldStop = (): boolean => context.getRemainingTimeInMillis() < stopMarginMs;
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];

    for (const message of sqsEvent.Records) {
      const log = logger.child({ messageId: message.messageId });
      if (shouldStop()) {
        log.warn('deadline near: message left for redelivery');
        batchItemFailures.push({ itemIdentifier: message.messageId });
        continue;
      }
      const retry = await processMessage(message, log, shouldStop, context);
      if (retry) batchItemFailures.push({ itemIdentifier: message.messageId });
    }
    logger.info('batch processed', {
      messages: sqsEvent.Records.length,
      retried: batchItemFailures.length,
    });
    return { batchItemFailures };
  };

  /** Handles one message; returns true when SQS should deliver it again. */
  async function processMessage(
    message: SqsMessage,
    log: Logger,
    shouldStop: () => boolean,
    context: InvocationContext,
  ): Promise<boolean> {
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
      const configLog = log.child({ configKeys: configChanges.map((ref) => ref.key) });
      if (await updateConfiguration(configLog)) retry = true;
    }
    const ignoredRemovals = removed.length - removed.filter((ref) => isConfigKey(ref.key)).length;
    if (ignoredRemovals > 0) log.info('ObjectRemoved records ignored', { ignored: ignoredRemovals });
    for (const ref of objects.filter((candidate) => !isConfigKey(candidate.key))) {
      const objectLog = log.child({ bucket: ref.bucket, key: ref.key });
      const outcome = await ingestObject(ref, objectLog, shouldStop, context).catch(
        (error: unknown): ObjectOutcome => {
          objectLog.error('ingest failed; will retry', { error });
          return { result: 'retry', reason: error instanceof Error ? error.name : 'error' };
        },
      );
      logOutcome(objectLog, outcome);
      if (outcome.result === 'retry') retry = true;
    }
    return retry;
  }

  /**
   * Something under `config/` changed: drop the cached configuration, then check and store the
   * whole current configuration. Returns true when SQS should deliver the message again (the bucket
   * or the table failed); a malformed file is a stored result, never a retry.
   */
  async function updateConfiguration(log: Logger): Promise<boolean> {
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
    return false;
  }

  /** Analyses one object unless this upload was already analysed. */
  async function ingestObject(
    ref: S3ObjectRef,
    log: Logger,
    shouldStop: () => boolean,
    context: InvocationContext,
  ): Promise<ObjectOutcome> {
    if (!ref.key.startsWith(BUCKET_PREFIX.incoming))
      return { result: 'skipped', reason: 'not under incoming/' };
    if (ref.key.endsWith('/')) return { result: 'skipped', reason: 'folder placeholder' };

    let identity: string;
    try {
      identity = objectIdentity(ref);
    } catch (error) {
      if (error instanceof InvalidMessageError) return { result: 'retry', reason: error.message };
      throw error;
    }
    const id = sourceId(identity);
    const existing = await deps.store.getSource(id);
    if (existing?.status === 'done') return { result: 'skipped', reason: 'already analysed' };
    if (existing?.status === 'failed' && !isRetryableFailure(existing.errorCode)) {
      return { result: 'skipped', reason: `already failed permanently (${existing.errorCode})` };
    }
    if (existing?.status === 'processing' && existing.lease !== undefined && !isInterrupted(existing)) {
      // Another delivery of the same upload is analysing it: back off, SQS brings the message back.
      return {
        result: 'retry',
        reason: `another delivery holds the lease until ${existing.lease.expiresAt}`,
      };
    }
    if (existing) {
      // An earlier attempt failed transiently, was stopped, or died mid-way: start it over.
      log.info('analysing again', {
        previousStatus: existing.status,
        previousError: existing.errorCode,
        interrupted: isInterrupted(existing),
      });
    }

    // Configuration first: a broken one is retried before anything is claimed.
    const domains = await deps.resolveDomains();
    const connector = await deps.resolveConnector?.();

    // The claim, before the object is opened: of concurrent deliveries exactly one analyses it. The
    // lease lasts as long as this invocation can: after its deadline the attempt is surely dead.
    const lease: SourceLease = {
      owner: `${context.awsRequestId}/${randomUUID()}`,
      expiresAt: new Date(Date.now() + context.getRemainingTimeInMillis()).toISOString(),
    };
    const claim = { ...newSourceRecord(id, ref.key, new Date()), lease };
    if (!(await deps.store.claimSource(claim, existing))) {
      const now = await deps.store.getSource(id);
      if (now?.status === 'done') return { result: 'skipped', reason: 'analysed by another delivery' };
      return { result: 'retry', reason: 'another delivery claimed it first' };
    }
    // Every record this attempt writes carries its lease and lands only while the lease is its own.
    const store: FindingSink = {
      putFindings: (findings) => deps.store.putFindings(findings),
      putSource: (record) => deps.store.putSource({ ...record, lease }, { leaseOwner: lease.owner }),
    };

    let object: OpenObject;
    try {
      object = await deps.openObject(ref);
    } catch (error) {
      // Not left `processing` under a live lease: that would hold off every redelivery until it ran out.
      const gone = error instanceof StaleObjectError;
      const failed: SourceRecord = {
        ...claim,
        status: 'failed',
        // STALE_OBJECT (deleted or replaced: not retried) or the read's own failure (retried).
        errorCode: error instanceof RelayAuditError ? error.code : ErrorCode.ReadFailure,
        errorMessage: `${ref.key}: ${error instanceof Error ? error.message : String(error)}`,
        finishedAt: new Date().toISOString(),
      };
      await store.putSource(failed).catch((writeError: unknown) => {
        log.warn('could not record the failed read; its lease runs out instead', { error: writeError });
      });
      if (gone) return { result: 'skipped', reason: error.message };
      throw error;
    }
    const input: AnalysisInput = {
      name: ref.key,
      sourceId: id,
      ...(object.size === undefined ? {} : { size: object.size }),
      ...(object.modified === undefined ? {} : { modified: object.modified }),
      open: () => object.body,
    };
    log.info('analysing', {
      sourceId: id,
      identity,
      size: object.size,
      domains: domains.origin,
      ...(connector === undefined
        ? {}
        : { inboundConnector: connector.info.name, inboundConnectorOrigin: connector.origin }),
    });
    let stopped: boolean;
    let record: SourceRecord | undefined;
    const evidence = new RunEvidence();
    let result: AnalysisResult;
    try {
      const sink = deps.recordInbound === undefined ? store : withInboundRecorder(store, deps.recordInbound);
      result = await analyze([input], {
        domains: domains.oracle,
        sink: observedBy(sink, evidence),
        shouldStop,
        ...(connector === undefined ? {} : { inboundConnector: connector.info }),
      });
      stopped = result.stopped;
      record = result.sources[0];
    } finally {
      object.close();
    }
    if (record && !stopped && record.status === 'done' && deps.correlateRun) {
      const correlation = await deps.correlateRun(evidence, record.id);
      if (correlation.ownReclassified.length > 0) {
        countAsForwarding(result, correlation.ownReclassified);
        await store.putSource(record);
      }
      log.info('correlated with earlier uploads', {
        sourceId: id,
        reclassifiedThisUpload: correlation.ownReclassified.length,
        reclassifiedEarlierUploads: correlation.earlierReclassified,
        complete: correlation.complete,
      });
    }
    if (!record) throw new Error(`analyze returned no source record for ${ref.key}`);

    if (stopped)
      return { result: 'retry', reason: `${ErrorCode.DeadlineReached}: ${record.errorMessage ?? ''}` };
    if (record.status === 'failed') {
      if (isRetryableFailure(record.errorCode)) {
        return { result: 'retry', reason: `${record.errorCode}: ${record.errorMessage ?? ''}` };
      }
      return { result: 'failed-permanently', record };
    }
    return { result: 'analysed', record };
  }
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
