/**
 * The two transports of the query API: the node:http listener `relay-audit serve` mounts (a real
 * server on a loopback port, real fetch) and the API Gateway payload-v2 translation of the Lambda.
 * Both wrap the same handler; what differs — URL decoding, repeated parameters, CORS locally,
 * event validation — is tested here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestListener } from '../../functions/api/http-adapter.js';
import { requestFromEvent, resultFromResponse } from '../../functions/api/lambda-event.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { InvalidEventError } from '../../functions/core/kernel/errors.js';
import { createLogger } from '../../functions/runtime/logger.js';
import { type EmbeddedStore, startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { csvRecords, httpApiEvent } from '../support/api-client.js';
import { makeFindingsSeries } from '../support/make-finding.js';

const DASHBOARD = 'http://localhost:5173';
const FINDINGS = makeFindingsSeries(12, '2026-11-28T10:00:00.000Z', { scenario: 'ndr' });

let engine: EmbeddedStore;
let server: Server;
let base: string;

beforeAll(async () => {
  engine = await startEmbeddedStore({ inMemory: true, tableName: 'relay-audit-api-adapters' });
  await engine.store.putFindings(FINDINGS);
  const listener = createRequestListener(
    { store: engine.store, logger: createLogger('test', 'silent') },
    { basePath: '/api', allowedOrigin: DASHBOARD },
  );
  server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await engine?.close();
});

describe('the node:http listener', () => {
  it('serves the API under its base path with the API headers and no CORS for a same-origin call', async () => {
    const response = await fetch(`${base}/api/findings?limit=5`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const body = (await response.json()) as { items: Finding[]; cursor?: string };
    expect(body.items.map((f) => f.id)).toEqual(
      FINDINGS.slice(-5)
        .reverse()
        .map((f) => f.id),
    );
  });

  it('allows the configured dashboard origin, and only that one', async () => {
    const allowed = await fetch(`${base}/api/findings`, { headers: { origin: DASHBOARD } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('x-truncated');
    expect(allowed.headers.get('vary')).toBe('origin');
    const other = await fetch(`${base}/api/findings`, { headers: { origin: 'https://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers the preflight of the allowed origin, and 405 to anyone else', async () => {
    const preflight = await fetch(`${base}/api/findings`, {
      method: 'OPTIONS',
      headers: { origin: DASHBOARD, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await fetch(`${base}/api/findings`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(other.status).toBe(405);
  });

  it('refuses a repeated parameter, naming it, rather than read its values as one', async () => {
    for (const query of ['scenario=ndr&scenario=forwarding', 'scenario=ndr&scenario=ndr', 'limit=5&limit=']) {
      const response = await fetch(`${base}/api/findings?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({
        error: {
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(/^(scenario|limit): repeated parameter \(give it once/),
        },
      });
    }
    // A comma inside one value is no repeat; an unknown parameter stays unknown, repeated or not.
    const comma = await fetch(`${base}/api/findings?senderDomain=contoso.com%2Cfabrikam.com`);
    expect(((await comma.json()) as { error: { message: string } }).error.message).toMatch(
      /^senderDomain: must be a domain name/,
    );
    const unknown = await fetch(`${base}/api/findings?scenarios=ndr&scenarios=ndr`);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(
      /^scenarios: unknown parameter/,
    );
  });

  it('accepts a date-time offset whose "+" was not URL-encoded', async () => {
    const response = await fetch(`${base}/api/findings?from=2026-11-28T11:05:00+01:00&limit=500`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: Finding[] };
    expect(body.items).toHaveLength(FINDINGS.filter((f) => f.timestamp >= '2026-11-28T10:05:00.000Z').length);
  });

  it('downloads the CSV export with its headers', async () => {
    const response = await fetch(`${base}/api/findings.csv?scenario=ndr`, { headers: { origin: DASHBOARD } });
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('x-truncated')).toBe('false');
    expect(response.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer());
    expect(csvRecords(text)).toHaveLength(FINDINGS.length);
  });

  it('answers 404 as JSON outside the base path', async () => {
    const response = await fetch(`${base}/findings`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});

describe('the API Gateway payload v2 translation', () => {
  it('reads method, raw path, decoded query and request id from the event', () => {
    const event = httpApiEvent('/findings', {
      senderDomain: 'contoso.com',
      from: '2026-11-28T10:00:00+01:00',
    });
    expect(requestFromEvent(event)).toEqual({
      method: 'GET',
      path: '/findings',
      query: { senderDomain: 'contoso.com', from: '2026-11-28T10:00:00+01:00' },
      headers: event.headers,
      requestId: event.requestContext.requestId,
    });
  });

  it('treats an event without query parameters as an empty query', () => {
    expect(requestFromEvent(httpApiEvent('/sources')).query).toEqual({});
  });

  it('names a repeated parameter from the raw query string, where API Gateway kept every occurrence', () => {
    // Prepare: `queryStringParameters` has `name: 'a.log,b.log'`, as API Gateway joins them.
    const event = httpApiEvent(
      '/uploads',
      new URLSearchParams([
        ['name', 'a.log'],
        ['size', '10'],
        ['name', 'b.log'],
      ]),
      'POST',
    );
    // Act
    const request = requestFromEvent(event);
    // Assess
    expect(event.queryStringParameters).toEqual({ name: 'a.log,b.log', size: '10' });
    expect(request.repeatedParameters).toEqual(['name']);
    // The same comma-joined value, sent once (encoded), is no repeat.
    const once = requestFromEvent(httpApiEvent('/uploads', { name: 'a.log,b.log', size: '10' }, 'POST'));
    expect(once.query).toEqual({ name: 'a.log,b.log', size: '10' });
    expect(once.repeatedParameters).toBeUndefined();
  });

  it.each([
    ['an SQS event', { Records: [] }],
    ['a REST API (payload 1.0) event', { httpMethod: 'GET', path: '/findings', requestContext: {} }],
    ['a v2 event without a method', { ...httpApiEvent('/findings'), requestContext: { requestId: 'x' } }],
    ['a v2 event without its raw query string', { ...httpApiEvent('/findings'), rawQueryString: undefined }],
  ])('refuses %s with a named error', (_name, event) => {
    expect(() => requestFromEvent(event)).toThrow(InvalidEventError);
  });

  it('returns a text body with the status and headers', () => {
    expect(resultFromResponse({ status: 404, headers: { 'content-type': 'x' }, body: '{}' })).toEqual({
      statusCode: 404,
      headers: { 'content-type': 'x' },
      body: '{}',
      isBase64Encoded: false,
    });
  });
});
