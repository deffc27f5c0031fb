/**
 * `GET /readiness` on the real embedded engine (dynalite in memory): the empty state before any
 * configuration was checked, the latest stored report, the same answer from the API Lambda as API
 * Gateway invokes it, a damaged item (503, not a 500 or a crash), and the repository's rule that the
 * report of a later configuration snapshot is never replaced by an earlier one's.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReadinessResponse as DashboardReadinessResponse } from '../../dashboard/src/types.js';
import { createRequestHandler, type RequestHandler } from '../../functions/api/api.js';
import { API_ROUTES } from '../../functions/api/route-table.js';
import { checkOrganisationConfig } from '../../functions/core/readiness/report.js';
import {
  type ReadinessReport,
  type ReadinessResponse,
  StoredReadinessResult,
} from '../../functions/core/readiness/report-schema.js';
import { BUCKET_ROUTE, nothingConfiguredMessage } from '../../functions/core/readiness/response.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { OrganisationConfigStore } from '../../functions/store/organisation-config.js';
import { READINESS_KEY } from '../../functions/store/table-design.js';
import { call, httpApiEvent, parseLambdaResult } from '../support/api-client.js';
import { LOCAL_REGION, startLocalDynamo } from '../support/local-engines.js';
import { SAMPLE_HCW_CONNECTOR, SAMPLE_RELAY_CONNECTOR, sampleConfig } from '../support/sample-config.js';

/** Compile-time: what the API answers fits what the dashboard reads. */
const apiFitsDashboard = (response: ReadinessResponse): DashboardReadinessResponse => response;

const TABLE = 'relay-audit-api-readiness';
const LOADED_AT = new Date('2026-11-29T10:00:00.000Z');
const AT = new Date('2026-11-29T12:00:00.000Z');

let dynamo: EmbeddedServer;
let repository: OrganisationConfigStore;
let api: RequestHandler;

beforeAll(async () => {
  dynamo = await startLocalDynamo(TABLE);
  repository = new OrganisationConfigStore(dynamo, { retry: { maxAttempts: 1 } });
  api = createRequestHandler({
    store: dynamo.store,
    readiness: repository,
    logger: createLogger('test', 'silent'),
  });
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await dynamo?.close();
});

describe('GET /readiness', () => {
  it('is a route of the route table, so the HTTP API gets it too', () => {
    expect(API_ROUTES).toContainEqual({ name: 'readiness', method: 'GET', path: '/readiness' });
  });

  it('answers 200 with no results and what to upload before any configuration was checked', async () => {
    const response = await call<ReadinessResponse>(api, '/readiness');
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json).toEqual({
      configured: false,
      message: nothingConfiguredMessage(BUCKET_ROUTE),
      checkedAt: null,
      inputs: null,
      summary: { error: 0, warning: 0, info: 0 },
      passed: [],
      results: [],
      configure: { via: 'bucket', prefix: 'config/' },
    });
    for (const text of [
      'config/accepted-domains.csv',
      'config/inbound-connectors.json',
      'Get-InboundConnector | ConvertTo-Json -Depth 5',
      '.pem',
    ]) {
      expect(response.json.message).toContain(text);
    }
    // A handler without the repository (older wiring) answers the same, never 404.
    const bare = createRequestHandler({ store: dynamo.store, logger: createLogger('test', 'silent') });
    expect((await call(bare, '/readiness')).json).toEqual(response.json);
  });

  describe('with the sample configuration checked', () => {
    let report: ReadinessReport;

    beforeAll(async () => {
      const config = await sampleConfig(LOADED_AT);
      report = checkOrganisationConfig(config, { at: AT, trigger: 'upload' });
      expect(await repository.save(config, report)).toBe(true);
    });

    it('returns the latest results with their inputs, summary, ids, objects, steps and commands', async () => {
      const response = await call<ReadinessResponse>(api, '/readiness');
      expect(response.status).toBe(200);
      const body = response.json;
      if (!body.configured) throw new Error('expected a stored report');
      expect(apiFitsDashboard(body).configured).toBe(true);
      expect(body).toMatchObject({
        checkedAt: AT.toISOString(),
        trigger: 'upload',
        configLoadedAt: LOADED_AT.toISOString(),
        summary: { error: 2, warning: 3, info: 2 },
      });
      expect(body.message).toMatch(
        /^2 errors, 3 warnings, 2 not checked: Exchange Online will refuse relayed mail/,
      );
      expect(body.inputs).toMatchObject({
        acceptedDomains: {
          file: 'config/accepted-domains.csv',
          domains: ['contoso.com', 'corp.contoso.com', 'fabrikam-group.com'],
        },
        connectors: {
          file: 'config/inbound-connectors.json',
          names: [SAMPLE_RELAY_CONNECTOR, SAMPLE_HCW_CONNECTOR],
          relayConnector: SAMPLE_HCW_CONNECTOR,
        },
        certificates: [
          expect.objectContaining({
            file: 'config/mail.contoso.com.pem',
            names: ['mail.contoso.com', 'autodiscover.contoso.com'],
            chain: [],
          }),
        ],
        invalid: [],
        ignored: [],
      });
      expect(body.results.map((result) => [result.severity, result.id])).toEqual([
        ['error', 'certificate-self-signed'],
        ['error', 'connector-cert-name-not-accepted'],
        ['warning', 'connector-cert-name-is-host'],
        ['warning', 'connector-ip-only'],
        ['warning', 'connector-tls-not-required'],
        // The sample certificate is self-signed: it has no chain or CA to judge (not checked, not passed).
        ['info', 'certificate-chain-missing'],
        ['info', 'certificate-not-public-ca'],
      ]);
      for (const result of body.results) StoredReadinessResult.parse(result);
      const ipOnly = body.results.find((result) => result.id === 'connector-ip-only');
      expect(ipOnly?.objects).toEqual([SAMPLE_RELAY_CONNECTOR]);
      expect(ipOnly?.remediation.steps.length).toBeGreaterThan(0);
      expect(ipOnly?.remediation.commands.join('\n')).toContain(
        `Set-InboundConnector -Identity '${SAMPLE_RELAY_CONNECTOR}'`,
      );
      expect(body.passed).toContain('certificate-expired');
      expect(body).toEqual({
        configured: true,
        message: body.message,
        ...report,
        configure: { via: 'bucket', prefix: 'config/' },
      });
    });

    it('answers the same through the API Lambda, as API Gateway invokes it', async () => {
      for (const [name, value] of Object.entries({
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      })) {
        vi.stubEnv(name, value);
      }
      const { createHandlerFromEnvironment } = await import('../../functions/api/handler.js');
      const { resultFromResponse, requestFromEvent } = await import('../../functions/api/lambda-event.js');
      const lambda = createHandlerFromEnvironment({ TABLE_NAME: TABLE, LOG_LEVEL: 'silent' });
      const result = parseLambdaResult<ReadinessResponse>(
        resultFromResponse(await lambda(requestFromEvent(httpApiEvent('/readiness')))),
      );
      expect(result.status).toBe(200);
      expect(result.json).toEqual((await call(api, '/readiness')).json);
      const post = parseLambdaResult(
        resultFromResponse(await lambda(requestFromEvent(httpApiEvent('/readiness', {}, 'POST')))),
      );
      expect(post.status).toBe(405);
    });

    it('keeps the report of a later configuration snapshot when an earlier one finishes last', async () => {
      const earlier = await sampleConfig(new Date(LOADED_AT.getTime() - 60_000));
      const stale = checkOrganisationConfig(earlier, {
        at: new Date(AT.getTime() + 60_000),
        trigger: 'nightly',
      });
      expect(await repository.save(earlier, stale)).toBe(false);
      expect(await repository.putReadiness(stale)).toBe(false);
      expect((await repository.getReadiness())?.checkedAt).toBe(AT.toISOString());
      expect((await repository.getConfig())?.loadedAt).toBe(LOADED_AT.toISOString());
      // The same snapshot checked again later (the nightly re-check) does replace it.
      const again = checkOrganisationConfig(await sampleConfig(LOADED_AT), {
        at: new Date(AT.getTime() + 120_000),
        trigger: 'nightly',
      });
      expect(await repository.putReadiness(again)).toBe(true);
      expect((await repository.getReadiness())?.trigger).toBe('nightly');
    });
  });

  describe('when the stored item is damaged', () => {
    beforeEach(async () => {
      await dynamo.client.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: {
            pk: { S: READINESS_KEY.pk },
            sk: { S: READINESS_KEY.sk },
            document: { B: Buffer.from('not gzip') },
          },
        }),
      );
    });

    it('answers 503 with the store error code, not a 500', async () => {
      const response = await call<{ error: { code: string } }>(api, '/readiness');
      expect(response.status).toBe(503);
      expect(response.json.error.code).toBe('STORE_FAILURE');
    });
  });
});
