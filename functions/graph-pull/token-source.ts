/**
 * App-only sign-in (OAuth 2.0 client credentials with a certificate): the client assertion is
 * POSTed to the tenant's token endpoint and the access token kept until shortly before it expires.
 *
 * Written with `fetch` and node:crypto rather than `@azure/msal-node`: MSAL accepts only https
 * authorities, so it could not be pointed at the plain-http token endpoint the tests serve, and the
 * exchange is one form POST (RFC 7523) — see client-assertion.ts.
 */
import { z } from 'zod';
import type { SigningCertificate } from './certificate.js';
import { clientAssertion } from './client-assertion.js';
import { GraphFailure, GraphPullError } from './errors.js';

/** The scope of an app-only Graph token: the application permissions granted to the app. */
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** A token is renewed this long before its stated expiry, so no request carries a dying one. */
const EXPIRY_MARGIN_MS = 60_000;
/** The token endpoint answers in about a second; a hung connection must not hold the run. */
const SIGN_IN_TIMEOUT_MS = 30_000;

const TokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().int().positive(),
});

export interface TokenSourceOptions {
  /** e.g. `https://login.microsoftonline.com` (tests: a local http server). */
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly certificate: SigningCertificate;
  readonly now?: () => Date;
}

export class TokenSource {
  private token: { value: string; expiresAt: number } | undefined;
  private readonly endpoint: string;
  private readonly now: () => Date;

  public constructor(private readonly options: TokenSourceOptions) {
    this.endpoint = `${options.authorityHost.replace(/\/$/, '')}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`;
    this.now = options.now ?? (() => new Date());
  }

  /** A valid access token, from the cache or newly requested. */
  public async get(): Promise<string> {
    const now = this.now();
    if (this.token !== undefined && this.token.expiresAt - EXPIRY_MARGIN_MS > now.getTime()) {
      return this.token.value;
    }
    const body = new URLSearchParams({
      client_id: this.options.clientId,
      scope: GRAPH_SCOPE,
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion(this.options.certificate, this.options.clientId, this.endpoint, now),
    });
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(SIGN_IN_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      // No answer: the Graph client retries these like its own network faults.
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new GraphPullError(
        `sign-in at ${this.endpoint} got no answer (${timedOut ? `no answer in ${SIGN_IN_TIMEOUT_MS / 1000} s` : networkText(error)})`,
        { failure: timedOut ? GraphFailure.Timeout : GraphFailure.Network, cause: error },
      );
    }
    if (!response.ok) {
      throw new GraphPullError(
        `sign-in at ${this.endpoint} failed: HTTP ${response.status} ${text.slice(0, 500)}`,
        { failure: GraphFailure.SignIn },
      );
    }
    const parsed = TokenResponse.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new GraphPullError(`sign-in at ${this.endpoint} answered without an access token`, {
        failure: GraphFailure.SignIn,
        cause: parsed.error,
      });
    }
    this.token = {
      value: parsed.data.access_token,
      expiresAt: now.getTime() + parsed.data.expires_in * 1000,
    };
    return this.token.value;
  }

  /** Forgets the cached token (Graph said 401: it expired or was revoked early). */
  public invalidate(): void {
    this.token = undefined;
  }
}

/** Parsed JSON, or `undefined` when the text is not JSON (the schema then reports it). */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `fetch failed` says nothing: the cause (`ECONNRESET`, `UND_ERR_SOCKET other side closed`) does. */
export function networkText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${error.message}: ${typeof code === 'string' ? `${code} ` : ''}${cause.message}`;
  }
  return error.message;
}
