/**
 * A local stand-in for the Microsoft identity platform and the Graph message trace API, written
 * from their documented contract, for the trace pull's tests:
 * - `POST /{tenant}/oauth2/v2.0/token`: client credentials with a certificate assertion (RFC 7523):
 *   the JWT's signature is checked with the registered certificate, its `x5t#S256` against the
 *   certificate's thumbprint, `aud` against this endpoint, `iss`/`sub` against the client id;
 * - `GET /v1.0/admin/exchange/tracing/messageTraces?$filter=…`: pages with `@odata.nextLink`;
 * - `GET …/messageTraces/{id}/getDetailsByRecipient(recipientAddress='…')`: the detail records;
 * - faults on demand: `429` with `Retry-After` for one request, an access token that expires, and
 *   through {@link LocalGraph.fault} any answer to any Graph request (a `503`, a `404` on one
 *   trace's details), a connection reset or a request left unanswered; {@link LocalGraph.rewritePage}
 *   changes a trace page before it is sent (a row repeated across pages);
 * - Graph's retention: with {@link LocalGraph.oldestAnswered} set, a trace list that starts earlier
 *   is refused with the `400` Graph gives for a start date older than 90 days.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** The refusal as Exchange Online writes it in a trace detail's description. */
export const REFUSAL_DESCRIPTION =
  'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=};{IP=};{LRT=}]. OutboundProxyTargetIP: 203.0.113.10.';

/** A trace record as Graph lists it. */
export function graphTrace(
  n: number,
  at: string,
  sender: string,
  recipient: string,
  status: string,
): GraphTrace {
  return {
    id: `${n}0000000-0b9a-4c8d-9e7f-6a5b4c3d2e1f`,
    messageId: `<M${n}@app01.contoso.com>`,
    receivedDateTime: at,
    senderAddress: sender,
    recipientAddress: recipient,
    subject: `Message ${n}`,
    size: 20480,
    status,
    fromIP: '203.0.113.25',
    toIP: null,
  };
}

/** The deferral Exchange Online writes for a message sent to the wrong region (the trace stays `Pending`). */
export const WRONG_REGION_DEFERRAL =
  'Reason: [{LED=451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to https://go.microsoft.com/fwlink/?linkid=865268 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=};{IP=};{LRT=}]. OutboundProxyTargetIP: 203.0.113.10.';

/** The details of a refused trace: received, then failed with the 5.7.64 text. */
export function refusedDetails(trace: GraphTrace): GraphDetail[] {
  return receivedThen(trace, 'Fail', REFUSAL_DESCRIPTION, '<root/>');
}

/** The details of a deferred trace: received, then deferred with the 4.4.62 text. */
export function deferredDetails(trace: GraphTrace): GraphDetail[] {
  return receivedThen(trace, 'Defer', WRONG_REGION_DEFERRAL, '');
}

function receivedThen(trace: GraphTrace, event: string, description: string, data: string): GraphDetail[] {
  return [
    {
      id: `${trace.id}-a`,
      messageId: trace.messageId,
      dateTime: trace.receivedDateTime,
      event: 'Receive',
      action: '',
      description: 'Message received by: AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
      data: '',
    },
    {
      id: `${trace.id}-b`,
      messageId: trace.messageId,
      dateTime: trace.receivedDateTime.replace(/:(\d\d)Z$/, ':$1.500Z'),
      event,
      action: '',
      description,
      data,
    },
  ];
}

/**
 * An app registration's certificate made with `openssl` in `dir`: RSA, as Entra ID needs for RS256
 * client assertions. `secretPem` is what goes into Secrets Manager (certificate and key).
 */
export async function createAppCertificate(
  dir: string,
): Promise<{ certificatePem: string; secretPem: string }> {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=relay-audit trace pull',
    ].concat(['-keyout', 'key.pem', '-out', 'cert.pem']),
    { cwd: dir, stdio: 'ignore' },
  );
  const certificatePem = await readFile(join(dir, 'cert.pem'), 'utf8');
  return { certificatePem, secretPem: `${certificatePem}${await readFile(join(dir, 'key.pem'), 'utf8')}` };
}

/**
 * Secrets Manager's `GetSecretValue` (JSON 1.1 protocol, `X-Amz-Target: secretsmanager.GetSecretValue`)
 * for the given secrets; the SDK reaches it through `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 */
export async function startLocalSecrets(
  secrets: Record<string, string>,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    readBody(request).then(
      (body) => {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        const value = secrets[SecretId];
        const ok = request.headers['x-amz-target'] === 'secretsmanager.GetSecretValue' && value !== undefined;
        response.writeHead(ok ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' }).end(
          JSON.stringify(
            ok
              ? {
                  ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SecretId}-AbCdEf`,
                  Name: SecretId,
                  SecretString: value,
                }
              : { __type: 'ResourceNotFoundException', message: `no secret ${SecretId}` },
          ),
        );
      },
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface GraphTrace {
  id: string;
  messageId: string;
  receivedDateTime: string;
  senderAddress: string;
  recipientAddress: string;
  subject: string;
  size: number;
  status: string;
  fromIP: string;
  toIP: string | null;
}

export interface GraphDetail {
  id: string;
  messageId: string;
  dateTime: string;
  event: string;
  action: string;
  description: string;
  data: string;
}

export interface LocalGraphOptions {
  tenantId: string;
  clientId: string;
  /** The certificate uploaded to the app registration (PEM). */
  certificatePem: string;
  traces: GraphTrace[];
  /** Detail records by trace id. */
  details: Record<string, GraphDetail[]>;
  /** Records per trace page (the client asks for more; the server may return fewer). */
  pageSize: number;
}

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  status: number;
  token?: string;
}

/** What {@link LocalGraph.fault} makes of a request: an answer, a reset connection, or none at all. */
export type GraphFault =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | 'reset'
  | 'no-answer';

export class LocalGraph {
  public readonly log: LoggedRequest[] = [];
  /** `$filter` values the trace list was asked. */
  public readonly filters: string[] = [];
  /** The first Graph request this matches is answered 429 with `Retry-After: retryAfterSeconds`. */
  public throttleOnce: ((url: URL) => boolean) | undefined;
  public retryAfterSeconds = 1;
  /** After this many Graph requests, every token issued so far expires (401). */
  public expireTokensAfter: number | undefined;
  /**
   * Answers a Graph request (signed in) in place of the API when it returns a fault; `n` counts
   * the Graph requests so far, this one included.
   */
  public fault: ((url: URL, n: number) => GraphFault | undefined) | undefined;
  /** Changes a trace page before it is sent. */
  public rewritePage: ((page: Record<string, unknown>, url: URL) => Record<string, unknown>) | undefined;
  /** Trace lists starting before this are refused (400), as Graph refuses those older than 90 days. */
  public oldestAnswered: Date | undefined;
  private readonly validTokens = new Set<string>();
  private tokensIssued = 0;
  private graphRequests = 0;
  private server: Server | undefined;
  public origin = '';

  public constructor(private readonly options: LocalGraphOptions) {}

  public async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async close(): Promise<void> {
    // A request left unanswered ('no-answer') would keep close() waiting.
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  public get graphBase(): string {
    return `${this.origin}/v1.0`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.origin);
    const entry: LoggedRequest = {
      at: Date.now(),
      method: request.method ?? '',
      path: url.pathname,
      status: 0,
    };
    this.log.push(entry);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      response
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(body));
    };
    if (request.method === 'POST' && url.pathname === `/${this.options.tenantId}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(await readBody(request));
      const problem = this.checkAssertion(form, `${this.origin}${url.pathname}`);
      if (problem !== undefined) return send(401, { error: 'invalid_client', error_description: problem });
      const token = `token-${++this.tokensIssued}`;
      this.validTokens.add(token);
      return send(200, { token_type: 'Bearer', expires_in: 3599, access_token: token });
    }
    if (request.method !== 'GET' || !url.pathname.startsWith('/v1.0/admin/exchange/tracing/messageTraces')) {
      return send(404, { error: { code: 'NotFound', message: url.pathname } });
    }
    this.graphRequests++;
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token !== undefined) entry.token = token;
    if (this.expireTokensAfter !== undefined && this.graphRequests > this.expireTokensAfter) {
      this.validTokens.clear();
      this.expireTokensAfter = undefined;
    }
    if (token === undefined || !this.validTokens.has(token)) {
      return send(401, {
        error: {
          code: 'InvalidAuthenticationToken',
          message: 'Lifetime validation failed, the token is expired.',
        },
      });
    }
    if (this.throttleOnce?.(url) === true) {
      this.throttleOnce = undefined;
      const seconds = this.retryAfterSeconds;
      return send(
        429,
        { error: { code: 'TooManyRequests', message: 'Too many requests' } },
        { 'retry-after': String(seconds) },
      );
    }
    const fault = this.fault?.(url, this.graphRequests);
    if (fault === 'reset') {
      entry.status = -1;
      request.socket.destroy();
      return;
    }
    if (fault === 'no-answer') {
      entry.status = -2;
      return;
    }
    if (fault !== undefined) return send(fault.status, fault.body ?? {}, fault.headers);
    const detail = /\/messageTraces\/([^/]+)\/getDetailsByRecipient\(recipientAddress='(.+)'\)$/.exec(
      decodeURIComponent(url.pathname),
    );
    if (detail !== null) {
      const [, id = '', recipient = ''] = detail;
      return send(200, {
        '@odata.context': `${this.graphBase}/$metadata#Collection(microsoft.graph.exchangeMessageTraceDetail)`,
        value: this.options.traces.some(
          (t) => t.id === id && t.recipientAddress === recipient.replaceAll("''", "'"),
        )
          ? (this.options.details[id] ?? [])
          : [],
      });
    }
    const filter = url.searchParams.get('$filter') ?? '';
    this.filters.push(filter);
    const range = /^receivedDateTime ge (\S+) and receivedDateTime le (\S+)$/.exec(filter);
    if (range === null)
      return send(400, { error: { code: 'BadRequest', message: `unsupported $filter ${filter}` } });
    const [, from = '', to = ''] = range;
    if (this.oldestAnswered !== undefined && Date.parse(from) < this.oldestAnswered.getTime()) {
      return send(400, {
        error: { code: 'BadRequest', message: 'The start date cannot be older than 90 days.' },
      });
    }
    const matching = this.options.traces.filter(
      (t) =>
        Date.parse(t.receivedDateTime) >= Date.parse(from) &&
        Date.parse(t.receivedDateTime) <= Date.parse(to),
    );
    const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
    const page = matching.slice(skip, skip + this.options.pageSize);
    const next = skip + this.options.pageSize < matching.length ? skip + this.options.pageSize : undefined;
    const nextLink = new URL(url);
    if (next !== undefined) nextLink.searchParams.set('$skiptoken', String(next));
    const answer = {
      '@odata.context': `${this.graphBase}/$metadata#admin/exchange/tracing/messageTraces`,
      value: page,
      ...(next === undefined ? {} : { '@odata.nextLink': nextLink.toString() }),
    };
    return send(200, this.rewritePage?.(answer, url) ?? answer);
  }

  /** Why the client credentials are refused, or `undefined` when they are good. */
  private checkAssertion(form: URLSearchParams, endpoint: string): string | undefined {
    if (form.get('grant_type') !== 'client_credentials') return 'grant_type';
    if (form.get('client_id') !== this.options.clientId) return 'client_id';
    if (form.get('scope') !== 'https://graph.microsoft.com/.default') return 'scope';
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      return 'client_assertion_type';
    const [header = '', payload = '', signature = ''] = (form.get('client_assertion') ?? '').split('.');
    const certificate = new X509Certificate(this.options.certificatePem);
    const ok = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      createPublicKey(certificate.publicKey.export({ type: 'spki', format: 'pem' })),
      Buffer.from(signature, 'base64url'),
    );
    if (!ok) return 'signature';
    const head = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    if (head.alg !== 'RS256') return 'alg';
    if (head['x5t#S256'] !== createHash('sha256').update(certificate.raw).digest('base64url'))
      return 'x5t#S256';
    if (claims.aud !== endpoint) return `aud ${String(claims.aud)}`;
    if (claims.iss !== this.options.clientId || claims.sub !== this.options.clientId) return 'iss/sub';
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return 'exp';
    if (typeof claims.jti !== 'string' || claims.jti.length === 0) return 'jti';
    return undefined;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
