/**
 * The nightly re-check of the stored organisation configuration, on the real embedded engine
 * (dynalite in memory) through the nightly Lambda's handler: certificates expire without any
 * upload, so each run checks the stored configuration at its own time, stores the report, and puts
 * the errors that are new since the previous stored report (by id and objects) into the alert
 * summary — once: a re-run publishes nothing, a failed publish leaves them new for the retry.
 *
 * The sample certificate is valid from 2026-06-01 to 2027-06-01 (00:00 UTC); the sample connectors
 * already have one error at upload time (connector-cert-name-not-accepted), which is never "new".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOrganisationConfig } from '../../functions/core/readiness/report.js';
import { PublishError } from '../../functions/nightly/errors.js';
import { createNightlyHandler, type NightlyHandler } from '../../functions/nightly/handler.js';
import type { ReportFile, ReportSink } from '../../functions/nightly/report-sink.js';
import type { AlertSummary } from '../../functions/nightly/summary.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedStore } from '../../functions/store/embedded-engine.js';
import { OrganisationConfigStore } from '../../functions/store/organisation-config.js';
import { startLocalDynamo } from '../support/local-engines.js';
import { RecordingPublisher } from '../support/recording-publisher.js';
import { SAMPLE_HCW_CONNECTOR, sampleConfig } from '../support/sample-config.js';

const TABLE = 'relay-audit-nightly-readiness';
const UPLOADED = new Date('2026-11-29T10:00:00.000Z');
const CERTIFICATE = 'mail.contoso.com (config/mail.contoso.com.pem)';

const reports: ReportSink = {
  async write(files: readonly ReportFile[]) {
    return files.map((file) => `memory://${file.name}`);
  },
};

let dynamo: EmbeddedStore;
let repository: OrganisationConfigStore;
let publisher: RecordingPublisher;
let clock: Date;
let nightly: NightlyHandler;

/** The scheduled run at `time` (it reports on the day before). */
function runAt(time: string) {
  clock = new Date(time);
  return nightly({}, { awsRequestId: `nightly-${time}` });
}

beforeAll(async () => {
  dynamo = await startLocalDynamo(TABLE);
  repository = new OrganisationConfigStore(dynamo);
  publisher = new RecordingPublisher();
  nightly = createNightlyHandler({
    store: dynamo.store,
    table: dynamo,
    reports,
    publisher,
    logger: createLogger('test', 'silent'),
    lookBackDays: 0,
    now: () => clock,
  });
}, 60_000);

afterAll(async () => {
  await dynamo?.close();
});

describe('the nightly readiness re-check', () => {
  it('does nothing while no configuration is stored', async () => {
    const response = await runAt('2026-11-30T02:00:00Z');
    expect(response).toMatchObject({ readinessErrors: null, newReadinessErrors: [], published: false });
    expect(await repository.getReadiness()).toBeUndefined();
  });

  it('re-checks the stored configuration at the run time and stores the result, alerting on nothing old', async () => {
    const config = await sampleConfig(UPLOADED);
    expect(
      await repository.save(config, checkOrganisationConfig(config, { at: UPLOADED, trigger: 'upload' })),
    ).toBe(true);

    // 17 days before expiry: a warning, no new error, nothing to publish.
    const response = await runAt('2027-05-15T02:00:00Z');
    expect(response).toMatchObject({ readinessErrors: 2, newReadinessErrors: [], published: false });
    const stored = await repository.getReadiness();
    expect(stored).toMatchObject({
      trigger: 'nightly',
      checkedAt: '2027-05-15T02:00:00.000Z',
      configHash: config.hash,
      configLoadedAt: UPLOADED.toISOString(),
    });
    expect(stored?.results.map((result) => `${result.severity} ${result.id}`)).toContain(
      'warning certificate-expiring',
    );
    expect(publisher.published).toEqual([]);
  });

  it('publishes an error that appeared overnight (the certificate expired) in the summary, once', async () => {
    publisher.failNext = true;
    await expect(runAt('2027-06-02T02:00:00Z')).rejects.toBeInstanceOf(PublishError);
    // Not stored: the retry must still see the error as new.
    expect((await repository.getReadiness())?.checkedAt).toBe('2027-05-15T02:00:00.000Z');

    const response = await runAt('2027-06-02T02:05:00Z');
    expect(response).toMatchObject({
      readinessErrors: 3,
      newReadinessErrors: [`certificate-expired: ${CERTIFICATE}`],
      newFindings: 0,
      published: true,
    });
    expect(publisher.published).toHaveLength(1);
    const summary = publisher.published[0] as AlertSummary;
    expect(summary.subject).toBe('relay-audit 2027-06-01: 0 findings, 0 new, 1 new readiness error');
    expect(summary.body).toContain('New readiness errors');
    expect(summary.body).toMatch(
      new RegExp(`  certificate-expired \\(${CERTIFICATE.replace(/[().]/g, '\\$&')}\\): `),
    );
    // The error that was there at upload time is not new.
    expect(summary.body).not.toContain(`connector-cert-name-not-accepted (${SAMPLE_HCW_CONNECTOR}`);
    const stored = await repository.getReadiness();
    expect(stored?.checkedAt).toBe('2027-06-02T02:05:00.000Z');
    expect(
      stored?.results.filter((result) => result.severity === 'error').map((result) => result.id),
    ).toEqual(['certificate-expired', 'certificate-self-signed', 'connector-cert-name-not-accepted']);

    // The next night: the same errors, nothing new, nothing published.
    const again = await runAt('2027-06-03T02:00:00Z');
    expect(again).toMatchObject({ readinessErrors: 3, newReadinessErrors: [], published: false });
    expect(publisher.published).toHaveLength(1);
  });

  it('never replaces the report of a configuration uploaded after the one it re-checked', async () => {
    const { recheckReadiness } = await import('../../functions/nightly/readiness-recheck.js');
    const recheck = await recheckReadiness(dynamo, new Date('2027-06-04T02:00:00Z'));
    // Meanwhile an upload stores a newer configuration and its report.
    const newer = await sampleConfig(new Date('2027-06-04T01:59:00Z'));
    const uploaded = checkOrganisationConfig(newer, {
      at: new Date('2027-06-04T02:00:01Z'),
      trigger: 'upload',
    });
    expect(await repository.save(newer, uploaded)).toBe(true);
    expect(await recheck?.commit()).toBe(false);
    expect(await repository.getReadiness()).toEqual(uploaded);
  });
});
