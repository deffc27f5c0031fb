/**
 * The organisation configuration through the cloud path, on real local engines: files uploaded
 * under `config/` in s3rver, its S3 notifications wrapped as SQS delivers them to the ingest Lambda
 * (configured only through its environment), the configuration and readiness report stored in
 * dynalite and served by the API Lambda; then a trace uploaded under `incoming/` whose findings
 * name the stored IP-only connector. Also: idempotency per configuration content, malformed files
 * (a stored error naming the file, never a retry), private keys never stored, deletions, and new
 * accepted domains applying at once (the cache is dropped).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { ReadinessResponse } from '../../functions/core/readiness/report-schema.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { OrganisationConfigStore } from '../../functions/store/organisation-config.js';
import { httpApiEvent, parseLambdaResult } from '../support/api-client.js';
import {
  deliverInBatches,
  type IngestLambda,
  sourceIdOfNotification,
  uploadObject,
} from '../support/ingest-harness.js';
import {
  asS3WouldSend,
  type LocalS3,
  localFunctionEnvironment,
  startLocalDynamo,
  startLocalS3,
} from '../support/local-engines.js';
import {
  SAMPLE_CONFIG_DIR,
  SAMPLE_CONFIG_FILES,
  SAMPLE_HCW_CONNECTOR,
  SAMPLE_RELAY_CONNECTOR,
} from '../support/sample-config.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUCKET = 'relay-audit-config-test';
const TABLE = 'relay-audit-config-test';
/** What NDRs and foreign sender domains need of the sample: the HCW connector's host name made a wildcard. */
const RENAME_COMMAND = `Set-InboundConnector -Identity '${SAMPLE_HCW_CONNECTOR}' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true -ConnectorType OnPremises -RequireTls $true`;

let s3: LocalS3;
let dynamo: EmbeddedServer;
let ingest: IngestLambda;
let api: (path: string) => Promise<ReadinessResponse>;
let repository: OrganisationConfigStore;
const logLines: string[] = [];

async function upload(key: string, body: Buffer | string): Promise<string> {
  return uploadObject(s3, BUCKET, key, body);
}

async function deliver(...notifications: string[]): Promise<void> {
  expect(await deliverInBatches(ingest, notifications)).toEqual([]);
}

async function findingsOf(notification: string): Promise<Finding[]> {
  const page = await dynamo.store.queryFindings({
    sourceId: sourceIdOfNotification(BUCKET, notification),
    limit: 100,
  });
  return page.items;
}

function readinessIds(report: { results: { id: string; severity: string }[] }): string[] {
  return report.results.map((result) => `${result.severity} ${result.id}`);
}

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startLocalS3([BUCKET]), startLocalDynamo(TABLE)]);
  const environment = localFunctionEnvironment(
    { table: TABLE, bucket: BUCKET, s3, dynamo },
    { RETENTION_DAYS: '400', ACCEPTED_DOMAINS: '', LOG_LEVEL: 'info' },
  );
  // The SDK reads endpoints and credentials from process.env when it builds its clients.
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  // Powertools writes info lines to stdout, warnings and errors to stderr.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logLines.push(String(chunk));
      return true;
    });
  }
  const ingestModule = await import('../../functions/ingest/handler.js');
  ingest = ingestModule.createHandlerFromEnvironment(environment);
  const apiModule = await import('../../functions/api/handler.js');
  const { requestFromEvent, resultFromResponse } = await import('../../functions/api/lambda-event.js');
  const apiLambda = apiModule.createHandlerFromEnvironment({ ...environment, LOG_LEVEL: 'silent' });
  api = async (path) => {
    const result = parseLambdaResult<ReadinessResponse>(
      resultFromResponse(await apiLambda(requestFromEvent(httpApiEvent(path)))),
    );
    expect(result.status).toBe(200);
    return result.json;
  };
  repository = new OrganisationConfigStore(dynamo);
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await Promise.all([s3?.close(), dynamo?.close()]);
});

describe('configuration uploaded under config/', () => {
  const notifications: Record<string, string> = {};

  it('is read as a whole, checked, stored and served by GET /readiness', async () => {
    for (const [key, file] of Object.entries(SAMPLE_CONFIG_FILES)) {
      notifications[key] = await upload(key, await readFile(join(SAMPLE_CONFIG_DIR, file)));
    }
    // One message per upload: the first reads all three files, the others find them checked.
    await deliver(...Object.values(notifications));

    const report = await repository.getReadiness();
    expect(report).toMatchObject({
      trigger: 'upload',
      inputs: {
        origin: `s3://${BUCKET}/config/`,
        acceptedDomains: { file: 'config/accepted-domains.csv' },
        connectors: {
          file: 'config/inbound-connectors.json',
          names: [SAMPLE_RELAY_CONNECTOR, SAMPLE_HCW_CONNECTOR],
          relayConnector: SAMPLE_HCW_CONNECTOR,
        },
        certificates: [expect.objectContaining({ file: 'config/mail.contoso.com.pem' })],
        invalid: [],
      },
    });
    if (!report) throw new Error('no readiness report stored');
    // Judged at the time of the upload: date-dependent certificate results may come and go.
    expect(readinessIds(report)).toEqual(
      expect.arrayContaining([
        'error certificate-self-signed',
        'error connector-cert-name-not-accepted',
        'warning connector-ip-only',
        'warning connector-cert-name-is-host',
      ]),
    );
    expect(report.results.find((result) => result.id === 'connector-ip-only')?.objects).toEqual([
      SAMPLE_RELAY_CONNECTOR,
    ]);
    expect(Math.abs(Date.parse(report.checkedAt) - Date.now())).toBeLessThan(60_000);
    expect((await repository.getConfig())?.files.map((file) => file.name)).toEqual(
      Object.keys(SAMPLE_CONFIG_FILES),
    );

    const served = await api('/readiness');
    expect(served).toEqual({
      configured: true,
      message: expect.stringMatching(/^2 errors/),
      // In the cloud the configuration is given under the bucket's config/ prefix.
      configure: { via: 'bucket', prefix: 'config/' },
      ...report,
    });
    // The results are logged as they are stored.
    const logged = logLines.filter((line) => line.includes('"readiness error"'));
    expect(logged.join('')).toContain('connector-cert-name-not-accepted');
    expect(logLines.join('')).toContain('"message":"configuration unchanged; already checked"');
  });

  it('is idempotent per content: a redelivered notification or an identical re-upload stores nothing new', async () => {
    const before = await repository.getReadiness();
    await deliver(notifications['config/inbound-connectors.json'] ?? '');
    await deliver(
      await upload(
        'config/accepted-domains.csv',
        await readFile(join(SAMPLE_CONFIG_DIR, SAMPLE_CONFIG_FILES['config/accepted-domains.csv'])),
      ),
    );
    expect(await repository.getReadiness()).toEqual(before);
  });

  it('makes the findings of a later trace name the connector that matters to each and the command that changes it', async () => {
    const trace = await upload(
      'incoming/2026-11-28/MSGTRK2026112800-1.LOG',
      await readFile(join(ROOT, 'sample-logs', 'MSGTRK2026112800-1.LOG')),
    );
    await deliver(trace);
    const findings = await findingsOf(trace);
    expect(new Set(findings.map((finding) => finding.scenario))).toEqual(
      new Set(['ndr', 'foreign-sender-domain', 'connector-mismatch', 'wrong-region']),
    );
    for (const finding of findings) {
      const { steps, commands } = finding.remediation;
      if (finding.scenario === 'ndr' || finding.scenario === 'foreign-sender-domain') {
        expect(steps.join('\n'), finding.scenario).toContain(
          `Your inbound connector "${SAMPLE_HCW_CONNECTOR}" expects the certificate name mail.contoso.com`,
        );
        // The IP-only connector keeps serving the apps that relay by IP address.
        expect(steps.join('\n'), finding.scenario).toContain(`Leave "${SAMPLE_RELAY_CONNECTOR}" as it is`);
        expect(commands, finding.scenario).toContain(RENAME_COMMAND);
      }
      expect(commands.join('\n'), finding.scenario).not.toContain('-SenderIPAddresses $null');
    }
    expect(logLines.join('')).toContain(
      `"inboundConnectors":["${SAMPLE_RELAY_CONNECTOR}","${SAMPLE_HCW_CONNECTOR}"]`,
    );
  });

  it('applies new accepted domains to the next upload at once (the cached list is dropped)', async () => {
    const csv = (await readFile(join(SAMPLE_CONFIG_DIR, 'accepted-domains.csv'), 'utf8')).replace(
      '"contoso.com","contoso.com","Authoritative","True","False"',
      '"contoso.com","contoso.com","Authoritative","True","True"',
    );
    await deliver(await upload('config/accepted-domains.csv', csv));
    const again = await upload(
      'incoming/2026-11-29/MSGTRK2026112800-1.LOG',
      await readFile(join(ROOT, 'sample-logs', 'MSGTRK2026112800-1.LOG')),
    );
    await deliver(again);
    // alerts.contoso.com is now covered by contoso.com (MatchSubDomains): no longer a foreign domain.
    const alerts = (await findingsOf(again)).find((finding) => finding.recipient === 'vendor@adatum.com');
    expect(alerts?.scenario).toBe('connector-mismatch');
  });

  it('stores a malformed file as an error result naming it, without a retry, and checks the rest', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const certificate = await readFile(join(SAMPLE_CONFIG_DIR, 'mail.contoso.com.pem'), 'utf8');
    await deliver(
      await upload('config/inbound-connectors.json', '{ "Name": "Relay from on-premises apps", '),
      await upload('config/not-a-certificate.pem', 'this is not PEM'),
      await upload('config/mail.contoso.com.pem', `${certificate}${keyPem}`),
      await upload('config/notes.txt', 'what we changed on the connector'),
    );
    const report = await repository.getReadiness();
    if (!report) throw new Error('no readiness report stored');
    const invalid = report.results.filter((result) => result.id === 'config-file-invalid');
    expect(invalid.map((result) => [result.severity, result.objects])).toEqual([
      ['error', ['config/inbound-connectors.json']],
      ['error', ['config/not-a-certificate.pem']],
    ]);
    expect(invalid[0]?.message).toMatch(/^config\/inbound-connectors\.json: not valid JSON/);
    expect(invalid[0]?.remediation.commands[0]).toContain('Get-InboundConnector | ConvertTo-Json -Depth 5');
    expect(invalid[1]?.message).toContain('config/not-a-certificate.pem: it contains no PEM block');
    // Without readable connectors the connector checks are "not checked", with what to upload.
    const notChecked = report.results.find((result) => result.id === 'connector-ip-only');
    expect(notChecked?.severity).toBe('info');
    expect(notChecked?.remediation.steps.join(' ')).toContain('upload it as config/inbound-connectors.json');
    expect(report.inputs.ignored).toEqual(['config/notes.txt']);
    expect(report.inputs.certificates.map((file) => file.file)).toEqual(['config/mail.contoso.com.pem']);
    // The private key went nowhere near the table.
    const stored = await repository.getConfig();
    const pem = stored?.files.find((file) => file.name === 'config/mail.contoso.com.pem');
    expect(pem?.privateKeysRemoved).toBe(1);
    expect(Buffer.from(pem?.content ?? '', 'base64').toString('latin1')).not.toContain('PRIVATE KEY');
    expect(logLines.join('')).toContain('private key in a configuration file: not stored');
    // The served report says the same.
    expect((await api('/readiness')).summary.error).toBe(report.summary.error);
  });

  it('analyses traces without a connector name while the connectors file is unreadable', async () => {
    const trace = await upload(
      'incoming/2026-11-29/MSGTRK2026112800-2.LOG',
      await readFile(join(ROOT, 'sample-logs', 'MSGTRK2026112800-2.LOG')),
    );
    await deliver(trace);
    const findings = await findingsOf(trace);
    expect(findings.some((finding) => finding.scenario === 'ndr')).toBe(true);
    for (const finding of findings) {
      expect(JSON.stringify(finding.remediation)).not.toContain(SAMPLE_RELAY_CONNECTOR);
      expect(JSON.stringify(finding.remediation)).not.toContain(SAMPLE_HCW_CONNECTOR);
    }
  });

  it('checks the configuration again when a file is deleted', async () => {
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'config/not-a-certificate.pem' }));
    const removed = JSON.stringify(asS3WouldSend(s3.lastNotificationFor('config/not-a-certificate.pem')));
    expect(removed).toContain('ObjectRemoved');
    await deliver(removed);
    const report = await repository.getReadiness();
    expect(report?.inputs.invalid.map((file) => file.file)).toEqual(['config/inbound-connectors.json']);
  });
});
