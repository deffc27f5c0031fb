/**
 * Sign-in of the cloud dashboard: OpenID Connect authorization code flow with PKCE (S256) by
 * `oidc-client-ts`. Used only when `config.json` has `auth` (the CDK writes it when the query API
 * takes JWTs and `dashboardClientId` is set); `relay-audit serve` has no sign-in and never gets here.
 *
 * What this module adds to the library, because the library leaves it to the application:
 * - a random `nonce` on every request (the library checks the ID token's nonce only when one was sent);
 * - the issuer: discovery must name the configured issuer, and so must the authorization
 *   response's `iss` (RFC 9207, when sent) and the ID token's `iss` (and its `aud` our client id);
 * - https only for the provider's endpoints, except a loopback provider (development and tests);
 * - at most one automatic redirect to the provider per page load, and none on the load that has
 *   just come back from it: a token the API keeps refusing shows an error with a "Sign in" button
 *   instead of a redirect loop.
 *
 * The user (tokens) lives in `sessionStorage` (this tab only). Before the access token expires the
 * library renews it in the background with the refresh token, when the provider issued one; without
 * one, an expired token leads to one redirect, as before.
 */
import { ErrorResponse, type User, UserManager, WebStorageStateStore } from 'oidc-client-ts';

export interface AuthConfig {
  issuer: string;
  clientId: string;
  scope: string;
}

/** Key prefix of what the library stores (the user, and the state of a sign-in under way). */
export const AUTH_STORE_PREFIX = 'relay-audit.auth.';
const SIGNED_OUT_KEY = 'relay-audit.auth.signed-out';
/** A token this close to its expiry is not used any more (clock skew, a request in flight). */
const EXPIRY_MARGIN_S = 10;
/** Renewal starts this long before the access token expires. */
const RENEW_BEFORE_S = 60;

/** Why the page shows the sign-in state instead of the data. */
export type AuthProblem = { kind: 'signed-out' } | { kind: 'error'; message: string; detail?: string };

export type AuthStart = { kind: 'ready' } | { kind: 'redirecting' } | AuthProblem;

/** What the dashboard keeps across the round trip to the provider. */
interface RoundTripState {
  /** The page's query (filters, linked finding) before the sign-in, restored afterwards. */
  search: string;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

/** An endpoint of the provider must be https, or http on loopback only when the issuer is too. */
function checkEndpoint(name: string, value: unknown, issuer: URL): void {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new Error(`the identity provider's ${name} is not a URL`);
  }
  const loopbackAllowed = issuer.protocol === 'http:' && isLoopback(issuer) && isLoopback(url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopbackAllowed)) {
    throw new Error(`the identity provider's ${name} is not https (${url.origin})`);
  }
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function roundTripSearch(state: unknown): string | undefined {
  const search = (state as Partial<RoundTripState> | undefined)?.search;
  return typeof search === 'string' ? search : undefined;
}

export class AuthSession {
  private readonly manager: UserManager;
  private readonly issuer: string;
  private user: User | null = null;
  private autoRedirectUsed = false;
  private redirecting = false;

  public constructor(
    private readonly config: AuthConfig,
    /** Shows the sign-in state (error or signed out) when the session cannot go on by itself. */
    private readonly onProblem: (problem: AuthProblem) => void,
  ) {
    this.issuer = withoutTrailingSlash(config.issuer);
    const store = new WebStorageStateStore({ prefix: AUTH_STORE_PREFIX, store: window.sessionStorage });
    const scopes = new Set(['openid', ...config.scope.split(/\s+/).filter((scope) => scope !== '')]);
    this.manager = new UserManager({
      authority: this.issuer,
      client_id: config.clientId,
      redirect_uri: `${window.location.origin}${window.location.pathname}`,
      response_type: 'code',
      response_mode: 'query',
      scope: [...scopes].join(' '),
      userStore: store,
      stateStore: store,
      loadUserInfo: false,
      monitorSession: false,
      automaticSilentRenew: true,
      accessTokenExpiringNotificationTimeInSeconds: RENEW_BEFORE_S,
    });
    // A renewed user is checked like a new one: same issuer, same audience.
    this.manager.events.addUserLoaded((user) => {
      const problem = this.claimsProblem(user);
      if (problem === undefined) {
        this.user = user;
        return;
      }
      this.user = null;
      void this.manager.removeUser();
      this.onProblem({ kind: 'error', message: `The sign-in was refused: ${problem}` });
    });
    this.manager.events.addUserUnloaded(() => {
      this.user = null;
    });
  }

  /** The access token, unless there is none or it has (nearly) expired. */
  public currentToken(): string | undefined {
    const user = this.user;
    if (user === null || user.access_token === '') return undefined;
    const left = user.expires_in;
    if (left !== undefined && left <= EXPIRY_MARGIN_S) return undefined;
    return user.access_token;
  }

  /**
   * Run once at start: finishes a sign-in the provider has redirected back from (or shows the
   * error it sent), else signs in when there is no valid token.
   */
  public async start(): Promise<AuthStart> {
    const params = new URLSearchParams(window.location.search);
    if (params.has('error') || params.has('code')) {
      // Whatever happens now, this load came back from the provider: no automatic redirect again.
      this.autoRedirectUsed = true;
      return this.finishSignIn(params);
    }
    const stored = await this.manager.getUser().catch(() => null);
    if (stored !== null && this.claimsProblem(stored) === undefined) this.user = stored;
    if (this.currentToken() !== undefined) return { kind: 'ready' };
    if (sessionStorage.getItem(SIGNED_OUT_KEY) !== null) return { kind: 'signed-out' };
    return this.autoSignIn();
  }

  /** An API call found no valid token, or the API answered 401: sign in again if allowed. */
  public tokenRejected(): void {
    this.user = null;
    void this.manager.removeUser();
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
      await this.checkProvider();
      const state: RoundTripState = { search: window.location.search };
      // Resolves only if the page comes back from the bfcache; the page navigates away meanwhile.
      void this.manager.signinRedirect({ state, nonce: randomNonce() }).catch((error: unknown) => {
        this.redirecting = false;
        this.onProblem({
          kind: 'error',
          message: `Could not start the sign-in: ${(error as Error).message}`,
        });
      });
    } catch (error) {
      this.redirecting = false;
      throw error;
    }
  }

  /** Forgets the tokens in this tab; the page stays signed out until "Sign in". */
  public signOut(): void {
    this.user = null;
    void this.manager.removeUser();
    sessionStorage.setItem(SIGNED_OUT_KEY, '1');
  }

  private async finishSignIn(params: URLSearchParams): Promise<AuthStart> {
    const url = window.location.href;
    let search: string | undefined;
    try {
      await this.checkProvider();
      const iss = params.get('iss');
      if (iss !== null && withoutTrailingSlash(iss) !== this.issuer) {
        throw new Error(`the answer came from another issuer (${iss}), not ${this.issuer}`);
      }
      const user = await this.manager.signinCallback(url);
      if (user === undefined) throw new Error('the provider sent no user');
      search = roundTripSearch(user.state);
      const problem = this.claimsProblem(user);
      if (problem !== undefined) {
        await this.manager.removeUser();
        throw new Error(problem);
      }
      this.user = user;
      sessionStorage.removeItem(SIGNED_OUT_KEY);
      return { kind: 'ready' };
    } catch (error) {
      this.user = null;
      if (error instanceof ErrorResponse) {
        search = roundTripSearch(error.state);
        const description = error.error_description;
        return {
          kind: 'error',
          message: `The sign-in did not succeed: ${description ?? error.error ?? 'unknown error'}`,
          ...(description && error.error ? { detail: error.error } : {}),
        };
      }
      return { kind: 'error', message: `The sign-in did not succeed: ${(error as Error).message}` };
    } finally {
      this.cleanUrl(search);
    }
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

  /** Discovery names the configured issuer, and its endpoints are https (loopback excepted). */
  private async checkProvider(): Promise<void> {
    const issuer = new URL(this.issuer);
    checkEndpoint('issuer', this.issuer, issuer);
    let metadata: Awaited<ReturnType<UserManager['metadataService']['getMetadata']>>;
    try {
      metadata = await this.manager.metadataService.getMetadata();
    } catch {
      throw new Error(`the identity provider at ${this.issuer} did not answer with its discovery document`);
    }
    if (typeof metadata.issuer !== 'string' || withoutTrailingSlash(metadata.issuer) !== this.issuer) {
      throw new Error(`the discovery document names another issuer (${String(metadata.issuer)})`);
    }
    checkEndpoint('authorization endpoint', metadata.authorization_endpoint, issuer);
    checkEndpoint('token endpoint', metadata.token_endpoint, issuer);
  }

  /** Why an ID token's claims are not acceptable, or `undefined` when they are. */
  private claimsProblem(user: User): string | undefined {
    const { iss, aud } = user.profile;
    if (typeof iss !== 'string' || withoutTrailingSlash(iss) !== this.issuer) {
      return `the ID token was issued by ${String(iss)}, not ${this.issuer}`;
    }
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(this.config.clientId)) return 'the ID token is meant for another client';
    return undefined;
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
