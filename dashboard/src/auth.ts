/**
 * Sign-in of the cloud dashboard: OpenID Connect authorization code flow with PKCE (S256), no
 * library. Used only when `config.json` has `auth` (the CDK writes it when the query API takes JWTs
 * and `dashboardClientId` is set); `relay-audit serve` has no sign-in and never gets here.
 *
 * - The access token and its expiry live in `sessionStorage` (this tab only, gone when it closes).
 * - At most one automatic redirect to the provider per page load, and none on the load that has
 *   just come back from it: a token the API keeps refusing shows an error with a "Sign in" button
 *   instead of a redirect loop.
 */
import { z } from 'zod';

export interface AuthConfig {
  issuer: string;
  clientId: string;
  scope: string;
}

const TOKEN_KEY = 'relay-audit.auth.token';
const PENDING_KEY = 'relay-audit.auth.pending';
const SIGNED_OUT_KEY = 'relay-audit.auth.signed-out';
/** A token this close to its expiry is treated as expired (clock skew, a request in flight). */
const EXPIRY_MARGIN_MS = 60_000;
/** When the provider does not say how long a token lives. */
const DEFAULT_LIFETIME_S = 3600;

const Discovery = z.object({
  authorization_endpoint: z.url({ protocol: /^https?$/ }),
  token_endpoint: z.url({ protocol: /^https?$/ }),
});

const TokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

const StoredToken = z.object({ accessToken: z.string().min(1), expiresAt: z.number() });

const Pending = z.object({
  state: z.string(),
  verifier: z.string(),
  nonce: z.string(),
  redirectUri: z.string(),
  /** The page's query (filters, linked finding) before the sign-in, restored afterwards. */
  search: z.string(),
});

/** Why the page shows the sign-in state instead of the data. */
export type AuthProblem = { kind: 'signed-out' } | { kind: 'error'; message: string; detail?: string };

export type AuthStart = { kind: 'ready' } | { kind: 'redirecting' } | AuthProblem;

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The S256 code challenge of a PKCE verifier. */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function readJson<T>(key: string, schema: z.ZodType<T>): T | undefined {
  try {
    const raw = sessionStorage.getItem(key);
    if (raw === null) return undefined;
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export class AuthSession {
  private autoRedirectUsed = false;
  private redirecting = false;

  public constructor(
    private readonly config: AuthConfig,
    /** Shows the sign-in state (error or signed out) when the session cannot go on by itself. */
    private readonly onProblem: (problem: AuthProblem) => void,
  ) {}

  /** The access token, unless there is none or it has (nearly) expired. */
  public currentToken(): string | undefined {
    const stored = readJson(TOKEN_KEY, StoredToken);
    if (stored === undefined || stored.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) return undefined;
    return stored.accessToken;
  }

  /**
   * Run once at start: finishes a sign-in the provider has redirected back from (or shows the
   * error it sent), else signs in when there is no valid token.
   */
  public async start(): Promise<AuthStart> {
    const params = new URLSearchParams(window.location.search);
    const pending = readJson(PENDING_KEY, Pending);
    if (params.has('error') || params.has('code')) {
      // Whatever happens now, this load came back from the provider: no automatic redirect again.
      this.autoRedirectUsed = true;
      sessionStorage.removeItem(PENDING_KEY);
      this.cleanUrl(pending?.search);
      if (params.has('error')) {
        const code = params.get('error') ?? '';
        const description = params.get('error_description');
        return {
          kind: 'error',
          message: `The sign-in did not succeed: ${description ?? code}`,
          detail: description ? code : undefined,
        };
      }
      if (pending === undefined || params.get('state') !== pending.state) {
        return {
          kind: 'error',
          message:
            'The sign-in answer does not match a sign-in started in this tab (state mismatch). Sign in again.',
        };
      }
      try {
        await this.exchange(params.get('code') ?? '', pending);
      } catch (error) {
        return { kind: 'error', message: `The sign-in did not succeed: ${(error as Error).message}` };
      }
      return { kind: 'ready' };
    }
    if (this.currentToken() !== undefined) return { kind: 'ready' };
    if (sessionStorage.getItem(SIGNED_OUT_KEY) !== null) return { kind: 'signed-out' };
    return this.autoSignIn();
  }

  /** An API call found no valid token, or the API answered 401: sign in again if allowed. */
  public tokenRejected(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    if (this.redirecting) return;
    void this.autoSignIn().then((result) => {
      if (result.kind !== 'redirecting') this.onProblem(result);
    });
  }

  /** Redirects to the provider's sign-in page (the "Sign in" button). */
  public async signIn(): Promise<void> {
    sessionStorage.removeItem(SIGNED_OUT_KEY);
    this.redirecting = true;
    try {
      const discovery = await this.discover();
      const verifier = randomString();
      const redirectUri = `${window.location.origin}${window.location.pathname}`;
      const pending = {
        state: randomString(16),
        verifier,
        nonce: randomString(16),
        redirectUri,
        search: window.location.search,
      };
      sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
      const url = new URL(discovery.authorization_endpoint);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', this.config.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', this.config.scope);
      url.searchParams.set('state', pending.state);
      url.searchParams.set('nonce', pending.nonce);
      url.searchParams.set('code_challenge', await codeChallenge(verifier));
      url.searchParams.set('code_challenge_method', 'S256');
      window.location.assign(url.toString());
    } catch (error) {
      this.redirecting = false;
      throw error;
    }
  }

  /** Forgets the token in this tab; the page stays signed out until "Sign in". */
  public signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    sessionStorage.setItem(SIGNED_OUT_KEY, '1');
  }

  private async autoSignIn(): Promise<{ kind: 'redirecting' } | AuthProblem> {
    if (this.autoRedirectUsed) {
      return {
        kind: 'error',
        message:
          'The API did not accept the sign-in (expired or not authorised for this API). Sign in again.',
      };
    }
    this.autoRedirectUsed = true;
    try {
      await this.signIn();
      return { kind: 'redirecting' };
    } catch (error) {
      return { kind: 'error', message: `Could not start the sign-in: ${(error as Error).message}` };
    }
  }

  private async discover(): Promise<z.infer<typeof Discovery>> {
    const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json' } });
    } catch {
      throw new Error(`the identity provider at ${this.config.issuer} did not answer`);
    }
    if (!response.ok) throw new Error(`the identity provider's discovery answered ${response.status}`);
    const parsed = Discovery.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new Error("the identity provider's discovery document is not usable");
    return parsed.data;
  }

  private async exchange(code: string, pending: z.infer<typeof Pending>): Promise<void> {
    const discovery = await this.discover();
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: pending.redirectUri,
      client_id: this.config.clientId,
      code_verifier: pending.verifier,
    });
    let response: Response;
    try {
      response = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
      });
    } catch {
      throw new Error('the token endpoint did not answer');
    }
    const json: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = json as { error?: unknown; error_description?: unknown } | undefined;
      const reason = [error?.error, error?.error_description].filter((v) => typeof v === 'string').join(': ');
      throw new Error(`the token endpoint answered ${response.status}${reason ? ` (${reason})` : ''}`);
    }
    const parsed = TokenResponse.safeParse(json);
    if (!parsed.success) throw new Error('the token endpoint answered without an access token');
    const lifetime = parsed.data.expires_in ?? DEFAULT_LIFETIME_S;
    sessionStorage.setItem(
      TOKEN_KEY,
      JSON.stringify({ accessToken: parsed.data.access_token, expiresAt: Date.now() + lifetime * 1000 }),
    );
    sessionStorage.removeItem(SIGNED_OUT_KEY);
  }

  /** Removes `code`, `state` and the provider's error from the address bar, restoring the filters. */
  private cleanUrl(savedSearch: string | undefined): void {
    const params = new URLSearchParams(savedSearch ?? window.location.search);
    for (const key of ['code', 'state', 'session_state', 'error', 'error_description', 'error_uri', 'iss']) {
      params.delete(key);
    }
    const search = params.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${search ? `?${search}` : ''}`);
  }
}
