/**
 * The cloud dashboard's sign-in in real headless Chromium: a tiny fake OpenID Connect provider
 * (discovery, an /authorize that redirects straight back, a /token that checks the PKCE verifier
 * and issues RS256 ID tokens and refresh tokens) and `startServer` serving a fresh dashboard build
 * with `auth` in its `config.json`. Checks the redirect round trip, PKCE, the bearer token on API
 * calls, the cleaned address bar, the loop guard on 401, the provider's error, Sign out, that an
 * ID token with a wrong nonce or from a wrong issuer is refused, and renewal without a redirect.
 */
import { createHash, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';
import { launchChromium } from '../support/browser.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIENT_ID = 'relay-audit-spa';
const SCOPE = 'api://relay-audit/access';
const PERIOD = '?from=2026-11-01&to=2026-11-30';
/** Where oidc-client-ts keeps the signed-in user (dashboard/src/auth.ts sets the prefix). */
const userKey = (issuer: string) => `relay-audit.auth.user:${issuer}:${CLIENT_ID}`;
const SIGNING_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 });

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** An RS256-signed JWT, as a provider issues its ID tokens. */
function signedJwt(claims: Record<string, unknown>): string {
  const head = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'test' }))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(head).sign(SIGNING_KEY.privateKey);
  return `${head}.${base64url(signature)}`;
}

interface AuthorizeCall {
  params: URLSearchParams;
}
interface TokenCall {
  params: URLSearchParams;
  /** Whether the verifier hashed (S256) to the challenge /authorize received for this code. */
  pkceValid: boolean;
}

/** The fake identity provider: records what the page sent. */
class FakeProvider {
  public readonly authorizeCalls: AuthorizeCall[] = [];
  public readonly tokenCalls: TokenCall[] = [];
  /** The next /authorize answers with this error instead of a code. */
  public failNext: { error: string; description: string } | undefined;
  /** The next ID token carries this nonce instead of the one the request sent. */
  public forgeNonceNext: string | undefined;
  /** The next ID token names this issuer (a token minted elsewhere, replayed here). */
  public forgeIssuerNext: string | undefined;
  /** The next /authorize answer names this issuer in `iss` (RFC 9207): a mix-up. */
  public forgeResponseIssuerNext: string | undefined;
  /** Fields the discovery document answers with instead of the real ones. */
  public discoveryOverride: Record<string, string> = {};
  /** Lifetime of the access tokens issued (seconds). */
  public lifetime = 3600;
  public issued = 0;
  private readonly codes = new Map<string, { challenge: string; redirectUri: string; nonce: string }>();
  private server: Server | undefined;
  public base = '';

  public async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'cache-control': 'no-store',
    });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type, accept',
      });
      res.end();
      return;
    }
    if (url.pathname === '/.well-known/openid-configuration') {
      this.json(res, 200, {
        issuer: this.base,
        authorization_endpoint: `${this.base}/authorize`,
        token_endpoint: `${this.base}/token`,
        jwks_uri: `${this.base}/jwks`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
        authorization_response_iss_parameter_supported: true,
        ...this.discoveryOverride,
      });
      return;
    }
    if (url.pathname === '/jwks') {
      this.json(res, 200, {
        keys: [{ ...SIGNING_KEY.publicKey.export({ format: 'jwk' }), kid: 'test', use: 'sig' }],
      });
      return;
    }
    if (url.pathname === '/authorize') {
      const params = url.searchParams;
      this.authorizeCalls.push({ params });
      const back = new URL(params.get('redirect_uri') ?? '');
      back.searchParams.set('state', params.get('state') ?? '');
      back.searchParams.set('iss', this.forgeResponseIssuerNext ?? this.base);
      this.forgeResponseIssuerNext = undefined;
      if (this.failNext) {
        back.searchParams.set('error', this.failNext.error);
        back.searchParams.set('error_description', this.failNext.description);
        this.failNext = undefined;
      } else {
        const code = randomBytes(12).toString('hex');
        this.codes.set(code, {
          challenge: params.get('code_challenge') ?? '',
          redirectUri: params.get('redirect_uri') ?? '',
          nonce: params.get('nonce') ?? '',
        });
        back.searchParams.set('code', code);
      }
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let raw = '';
      for await (const chunk of req) raw += String(chunk);
      const params = new URLSearchParams(raw);
      if (params.get('grant_type') === 'refresh_token') {
        const known = this.refreshTokens.has(params.get('refresh_token') ?? '');
        this.tokenCalls.push({ params, pkceValid: false });
        if (!known || params.get('client_id') !== CLIENT_ID) {
          this.json(res, 400, { error: 'invalid_grant', error_description: 'unknown refresh token' });
          return;
        }
        this.json(res, 200, this.tokens(undefined));
        return;
      }
      const issued = this.codes.get(params.get('code') ?? '');
      this.codes.delete(params.get('code') ?? '');
      const verifier = params.get('code_verifier') ?? '';
      const pkceValid =
        issued !== undefined &&
        /^[A-Za-z0-9._~-]{43,128}$/.test(verifier) &&
        createHash('sha256').update(verifier).digest('base64url') === issued.challenge;
      this.tokenCalls.push({ params, pkceValid });
      if (
        !pkceValid ||
        params.get('grant_type') !== 'authorization_code' ||
        params.get('client_id') !== CLIENT_ID ||
        params.get('redirect_uri') !== issued?.redirectUri
      ) {
        this.json(res, 400, { error: 'invalid_grant', error_description: 'bad code or verifier' });
        return;
      }
      this.json(res, 200, this.tokens(issued?.nonce));
      return;
    }
    this.json(res, 404, { error: 'not_found' });
  }

  private readonly refreshTokens = new Set<string>();

  /** A token response: access token `token-<n>`, an ID token (with the request's nonce), a refresh token. */
  private tokens(nonce: string | undefined): Record<string, unknown> {
    this.issued += 1;
    const now = Math.floor(Date.now() / 1000);
    const refreshToken = randomBytes(16).toString('hex');
    this.refreshTokens.add(refreshToken);
    const idToken = signedJwt({
      iss: this.forgeIssuerNext ?? this.base,
      sub: 'user-1',
      aud: CLIENT_ID,
      iat: now,
      exp: now + 3600,
      ...(nonce === undefined ? {} : { nonce: this.forgeNonceNext ?? nonce }),
    });
    this.forgeIssuerNext = undefined;
    this.forgeNonceNext = undefined;
    return {
      access_token: `token-${this.issued}`,
      token_type: 'Bearer',
      expires_in: this.lifetime,
      id_token: idToken,
      refresh_token: refreshToken,
      scope: `openid ${SCOPE}`,
    };
  }
}

let work: string;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let server: RunningServer | undefined;
const provider = new FakeProvider();
/** The Authorization header of every API request the page made. */
const apiAuthorizations: (string | undefined)[] = [];
/** CSP violations reported in the console. */
const cspProblems: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  work = await mkdtemp(join(tmpdir(), 'relay-audit-e2e-auth-'));
  const dashboardDir = join(work, 'dashboard');
  await build({
    configFile: join(ROOT, 'dashboard/vite.config.ts'),
    build: { outDir: dashboardDir, emptyOutDir: true },
    logLevel: 'error',
  });
  await provider.start();
  server = await startServer({
    db: join(work, 'db'),
    port: 0,
    dashboardDir,
    logLevel: 'silent',
    dashboardAuth: { issuer: provider.base, clientId: CLIENT_ID, scope: SCOPE },
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  page = await context.newPage();
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/')) {
      void request
        .allHeaders()
        .then((headers) => apiAuthorizations.push(headers.authorization))
        // A request still in flight when the browser closes at the end.
        .catch(() => undefined);
    }
  });
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) cspProblems.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await provider.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The token entry of the page's sessionStorage (evaluated as text: this tsconfig has no DOM types). */
function storedUser(): Promise<string | null> {
  return page.evaluate<string | null>(`sessionStorage.getItem(${JSON.stringify(userKey(provider.base))})`);
}

function signedIn(): Promise<void> {
  return page.locator('#account:not([hidden]) #sign-out').waitFor();
}

function signInPanel() {
  return page.locator('#sign-in:not([hidden])');
}

describe('sign-in with OpenID Connect (authorization code + PKCE)', () => {
  it('redirects through the provider and back, with PKCE, and calls the API with the bearer token', async () => {
    const origin = new URL(server?.url ?? '').origin;
    await page.goto(`${server?.url}${PERIOD}`);
    await signedIn();
    await page.locator('#onboarding:not([hidden])').waitFor();

    expect(provider.authorizeCalls).toHaveLength(1);
    const authorize = provider.authorizeCalls[0]?.params;
    expect(authorize?.get('response_type')).toBe('code');
    expect(authorize?.get('client_id')).toBe(CLIENT_ID);
    expect(authorize?.get('scope')).toBe(`openid ${SCOPE}`);
    expect(authorize?.get('redirect_uri')).toBe(`${origin}/`);
    expect(authorize?.get('code_challenge_method')).toBe('S256');
    expect(authorize?.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize?.get('state')).toBeTruthy();
    expect(authorize?.get('nonce')).toBeTruthy();

    expect(provider.tokenCalls).toHaveLength(1);
    expect(provider.tokenCalls[0]?.pkceValid).toBe(true);
    expect(provider.tokenCalls[0]?.params.get('grant_type')).toBe('authorization_code');

    // The address bar: no code or state, the filters from before the sign-in restored.
    const url = new URL(page.url());
    expect(url.searchParams.has('code')).toBe(false);
    expect(url.searchParams.has('state')).toBe(false);
    expect(url.searchParams.get('from')).toBe('2026-11-01');
    expect(url.searchParams.get('to')).toBe('2026-11-30');

    await expect.poll(() => apiAuthorizations.length).toBeGreaterThanOrEqual(4);
    expect(new Set(apiAuthorizations)).toEqual(new Set(['Bearer token-1']));
    const stored = await storedUser();
    expect(JSON.parse(stored ?? '{}')).toMatchObject({ access_token: 'token-1' });
    expect(JSON.parse(stored ?? '{}').expires_at).toBeGreaterThan(Date.now() / 1000 + 3_000);
    expect(cspProblems).toEqual([]);
  });

  it('keeps the token across a reload (no new redirect)', async () => {
    await page.reload();
    await signedIn();
    await page.locator('#onboarding:not([hidden])').waitFor();
    expect(provider.authorizeCalls).toHaveLength(1);
  });

  it('signs in again once on 401, then shows the error state instead of looping', async () => {
    await page.route('**/api/**', (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ message: 'Unauthorized' }),
      }),
    );
    try {
      await page.reload();
      await signInPanel().waitFor();
      await expect.poll(() => provider.tokenCalls.length).toBe(2);
      expect(provider.authorizeCalls).toHaveLength(2);
      await expect(page.locator('#sign-in-message').textContent()).resolves.toMatch(/did not accept/);
      await expect(page.locator('#sign-in-button').isVisible()).resolves.toBe(true);
      await expect(page.locator('#overview').isHidden()).resolves.toBe(true);
      // Still one redirect: the page stays put.
      await page.waitForTimeout(300);
      expect(provider.authorizeCalls).toHaveLength(2);
    } finally {
      await page.unroute('**/api/**');
    }
    // The Sign in button works once the API accepts the token again.
    await page.locator('#sign-in-button').click();
    await signedIn();
    await page.locator('#onboarding:not([hidden])').waitFor();
    expect(provider.authorizeCalls).toHaveLength(3);
  });

  it('shows the provider’s error (escaped) in the error state', async () => {
    await page.locator('#sign-out').click();
    provider.failNext = { error: 'access_denied', description: '<b>User is not assigned</b> to the app' };
    await page.locator('#sign-in-button').click();
    await page.locator('#sign-in.error:not([hidden])').waitFor();
    await expect(page.locator('#sign-in-message').textContent()).resolves.toBe(
      'The sign-in did not succeed: <b>User is not assigned</b> to the app',
    );
    await expect(page.locator('#sign-in b').count()).resolves.toBe(0);
    await expect(page.locator('#sign-in').getAttribute('role')).resolves.toBe('alert');
    const url = new URL(page.url());
    expect([...url.searchParams.keys()].filter((k) => ['error', 'state', 'code'].includes(k))).toEqual([]);
    await page.screenshot({ path: join(ROOT, 'test-results', 'dashboard-auth-error.png') });
  });

  it('signs out: clears the token and stays signed out across a reload', async () => {
    await page.locator('#sign-in-button').click();
    await signedIn();
    const before = provider.authorizeCalls.length;
    await page.locator('#sign-out').click();
    await signInPanel().waitFor();
    await expect(page.locator('#sign-in-message').textContent()).resolves.toMatch(/signed out/);
    await expect(storedUser()).resolves.toBeNull();
    await expect(page.locator('#account').isHidden()).resolves.toBe(true);
    await page.reload();
    await signInPanel().waitFor();
    await expect(page.locator('#sign-in-message').textContent()).resolves.toMatch(/signed out/);
    expect(provider.authorizeCalls).toHaveLength(before);
    expect(cspProblems).toEqual([]);
  });

  it('refuses an ID token whose nonce is not the one this tab sent', async () => {
    // Signed out (previous test): a sign-in whose ID token carries another nonce (a replayed token).
    provider.forgeNonceNext = 'nonce-of-another-sign-in';
    await page.locator('#sign-in-button').click();
    await page.locator('#sign-in.error:not([hidden])').waitFor();
    await expect(page.locator('#sign-in-message').textContent()).resolves.toMatch(/nonce/);
    await expect(storedUser()).resolves.toBeNull();
    await expect(page.locator('#account').isHidden()).resolves.toBe(true);
  });

  it('refuses an ID token issued by another issuer', async () => {
    provider.forgeIssuerNext = 'https://login.attacker.example';
    await page.locator('#sign-in-button').click();
    await page.locator('#sign-in.error:not([hidden])').waitFor();
    await expect(page.locator('#sign-in-message').textContent()).resolves.toMatch(
      /issued by https:\/\/login\.attacker\.example/,
    );
    await expect(storedUser()).resolves.toBeNull();
  });

  it('refuses an authorization response that names another issuer (iss, RFC 9207)', async () => {
    const tokenCallsBefore = provider.tokenCalls.length;
    provider.forgeResponseIssuerNext = 'https://login.attacker.example';
    await page.locator('#sign-in-button').click();
    await page.locator('#sign-in.error:not([hidden])').waitFor();
    await expect(page.locator('#sign-in-message').textContent()).resolves.toMatch(/another issuer/);
    // Refused before the code was redeemed.
    expect(provider.tokenCalls.length).toBe(tokenCallsBefore);
    await expect(storedUser()).resolves.toBeNull();
  });

  it('refuses a provider whose discovery sends the code to a plain-http endpoint', async () => {
    // A fresh page (the library caches the discovery document per page), signed out.
    await page.reload();
    await signedIn();
    await page.locator('#sign-out').click();
    await page.reload();
    await signInPanel().waitFor();
    provider.discoveryOverride = { token_endpoint: 'http://tokens.example/token' };
    try {
      await page.locator('#sign-in-button').click();
      await page.locator('#sign-in.error:not([hidden])').waitFor();
      await expect(page.locator('#sign-in-message').textContent()).resolves.toMatch(
        /token endpoint is not https \(http:\/\/tokens\.example\)/,
      );
    } finally {
      provider.discoveryOverride = {};
    }
    expect(provider.tokenCalls.every((call) => !call.params.has('code') || call.pkceValid)).toBe(true);
  });

  it('renews a token about to expire in the background, without a redirect', async () => {
    // 65 s tokens: the renewal starts 60 s before expiry, so about 5 s after the sign-in.
    provider.lifetime = 65;
    try {
      // A fresh page with a usable discovery document.
      await page.reload();
      await signedIn();
      const authorizeCalls = provider.authorizeCalls.length;
      const first = JSON.parse((await storedUser()) ?? '{}').access_token as string;
      // A marker on the page's window: a redirect would make a new page without it.
      await page.evaluate('window.__stillThisPage = true');
      await expect
        .poll(
          () =>
            provider.tokenCalls.filter((call) => call.params.get('grant_type') === 'refresh_token').length,
          {
            timeout: 20_000,
          },
        )
        .toBeGreaterThanOrEqual(1);
      await expect.poll(async () => JSON.parse((await storedUser()) ?? '{}').access_token).not.toBe(first);
      expect(provider.authorizeCalls.length).toBe(authorizeCalls);
      await expect(page.evaluate('window.__stillThisPage === true')).resolves.toBe(true);
      await expect(page.locator('#account').isVisible()).resolves.toBe(true);
      // The next API call carries the renewed token.
      const renewed = JSON.parse((await storedUser()) ?? '{}').access_token as string;
      apiAuthorizations.length = 0;
      await page.reload();
      await signedIn();
      await expect.poll(() => apiAuthorizations.length).toBeGreaterThanOrEqual(1);
      expect(apiAuthorizations[0]).toBe(`Bearer ${renewed}`);
      expect(provider.authorizeCalls.length).toBe(authorizeCalls);
    } finally {
      provider.lifetime = 3600;
    }
    expect(cspProblems).toEqual([]);
  }, 60_000);
});
