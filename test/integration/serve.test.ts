/**
 * `relay-audit serve`: static files of the dashboard (content types, caching, fallback, no path
 * traversal), `/config.json`, the query API mounted under `/api`, and the command's lifecycle.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli.js';
import { hostCheck, type RunningServer, resolveStaticPath, startServer } from '../../bin/commands/serve.js';
import type {
  SourceSummary as DashboardSourceSummary,
  Summary as DashboardSummary,
} from '../../dashboard/src/types.js';
import type { Summary as ApiSummary } from '../../functions/api/contract.js';
import type { SourceSummary as ApiSourceSummary } from '../../functions/api/routes/sources.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { CapturedOutput } from '../support/capture-output.js';
import { makeFindingsSeries } from '../support/make-finding.js';

// Compile-time guard: the dashboard's copy of the API's response types must stay assignable both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const summaryTypesMatch: Same<DashboardSummary, ApiSummary> = true;
const sourceTypesMatch: Same<DashboardSourceSummary, ApiSourceSummary> = true;

const SECRET = 'top secret, outside the dashboard';

let work: string;
let dashboardDir: string;
let server: RunningServer;

/** A raw GET: unlike fetch, node:http sends the path exactly as given (`..` and `%2e` untouched). */
function rawGet(
  base: string,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'relay-audit-serve-'));
  dashboardDir = join(work, 'dashboard');
  await mkdir(join(dashboardDir, 'assets'), { recursive: true });
  await writeFile(join(dashboardDir, 'index.html'), '<!doctype html><title>dashboard</title>');
  await writeFile(join(dashboardDir, 'assets/app-1234.js'), 'console.log(1);');
  await writeFile(join(dashboardDir, 'assets/app-1234.css'), 'body{}');
  await writeFile(join(dashboardDir, 'assets/logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(work, 'secret.txt'), SECRET);
  // A store with findings on two days, written and closed before serve opens it.
  const seed = await startEmbeddedStore({ dir: join(work, 'db') });
  await seed.store.putFindings(makeFindingsSeries(3, '2026-11-28T10:00:00.000Z', { scenario: 'forwarding' }));
  await seed.close();
  server = await startServer({ db: join(work, 'db'), port: 0, dashboardDir, logLevel: 'silent' });
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('static files', () => {
  it('binds loopback by default and serves index.html with security headers', async () => {
    expect(summaryTypesMatch && sourceTypesMatch).toBe(true);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.dashboardBuilt).toBe(true);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(await response.text()).toContain('<title>dashboard</title>');
  });

  it.each([
    ['assets/app-1234.js', 'text/javascript; charset=utf-8'],
    ['assets/app-1234.css', 'text/css; charset=utf-8'],
    ['assets/logo.svg', 'image/svg+xml'],
  ])('serves %s as %s, cached as immutable', async (path, type) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('cache-control')).toContain('immutable');
  });

  it('answers application paths with index.html and missing files with 404', async () => {
    const app = await fetch(`${server.url}findings`);
    expect(app.status).toBe(200);
    expect(await app.text()).toContain('<title>dashboard</title>');
    expect((await fetch(`${server.url}assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}assets/`)).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/%00index.html',
    '/%E0%A4%A',
  ])('refuses the traversal attempt %s', async (path) => {
    const response = await rawGet(server.url, path);
    expect([400, 404]).toContain(response.status);
    expect(response.body).not.toContain(SECRET);
  });

  it('keeps resolved paths inside the root', () => {
    expect(resolveStaticPath('/srv/d', '/')).toEqual({ kind: 'file', path: '/srv/d/index.html' });
    expect(resolveStaticPath('/srv/d', '/assets/./a.js')).toEqual({
      kind: 'file',
      path: '/srv/d/assets/a.js',
    });
    expect(resolveStaticPath('/srv/d', '/a/%2e%2e/b')).toEqual({ kind: 'bad' });
  });

  it('answers HEAD without a body and other methods with 405', async () => {
    const head = await rawGet(server.url, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const post = await fetch(server.url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('tells the dashboard where the API is in /config.json', async () => {
    const response = await fetch(`${server.url}config.json`);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ apiBase: '/api' });
  });
});

describe('the API under /api', () => {
  it('serves the query API routes from the store', async () => {
    const summary = await fetch(`${server.url}api/summary?from=2026-11-01&to=2026-11-30`);
    expect(summary.status).toBe(200);
    expect(summary.headers.get('cache-control')).toBe('no-store');
    const body = (await summary.json()) as ApiSummary;
    expect(body.totals.forwarding).toBe(3);
    const findings = (await (await fetch(`${server.url}api/findings?scenario=forwarding`)).json()) as {
      items: unknown[];
    };
    expect(findings.items).toHaveLength(3);
    const csv = await fetch(`${server.url}api/findings.csv?scenario=forwarding`);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('x-row-count')).toBe('3');
  });

  it('refuses a repeated parameter, naming it, as the Lambda does', async () => {
    // Prepare: the upload grant is taken with one name.
    const once = await fetch(`${server.url}api/uploads?name=a.log&size=10`, { method: 'POST' });
    expect(once.status).toBe(201);
    // Act: without the check, `name=a.log&name=b.log` named the upload "a.log,b.log".
    const twice = await fetch(`${server.url}api/uploads?name=a.log&name=b.log&size=10`, { method: 'POST' });
    const scenarios = await fetch(`${server.url}api/findings?scenario=ndr&scenario=forwarding`);
    // Assess
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^name: repeated parameter/) },
    });
    expect(scenarios.status).toBe(400);
    expect(await scenarios.json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^scenario: repeated parameter/) },
    });
  });

  it('answers API errors as JSON, not with the dashboard', async () => {
    const bad = await fetch(`${server.url}api/findings?limit=lots`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_ARGUMENT');
    const missing = await fetch(`${server.url}api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});

describe('DNS rebinding', () => {
  /** A GET with a chosen Host header, as a page on a rebound name would send it. */
  function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
    const url = new URL(server.url);
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path, headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('answers nothing to a Host it was not bound as, and the loopback names it was', async () => {
    const port = new URL(server.url).port;
    const rebound = await getWithHost('/api/findings.csv', `attacker.example:${port}`);
    const plainName = await getWithHost('/api/findings', 'attacker.example');
    const localhost = await getWithHost('/api/findings', `localhost:${port}`);

    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain('@');
    expect(plainName.status).toBe(421);
    expect(localhost.status).toBe(200);
  });

  it('accepts the bound address and loopback names, with or without the port', () => {
    const loopback = hostCheck('127.0.0.1', 8787);
    expect(['127.0.0.1', '127.0.0.1:8787', 'localhost:8787', '[::1]:8787'].map(loopback)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(
      [undefined, '127.0.0.1:9999', 'evil.example:8787', '127.0.0.1.evil.example'].map(loopback),
    ).toEqual([false, false, false, false]);
    expect(hostCheck('::1', 8787)('[::1]:8787')).toBe(true);
    expect(hostCheck('192.168.1.5', 8787)('localhost:8787')).toBe(false);
    expect(hostCheck('192.168.1.5', 8787)('192.168.1.5:8787')).toBe(true);
    expect(hostCheck('0.0.0.0', 8787)('anything.example')).toBe(true);
  });
});

describe('relay-audit serve', () => {
  it('says how to build the dashboard when it is missing, and still serves the API', async () => {
    const bare = await startServer({
      db: join(work, 'db-bare'),
      port: 0,
      dashboardDir: join(work, 'not-built'),
      logLevel: 'silent',
    });
    try {
      expect(bare.dashboardBuilt).toBe(false);
      const page = await fetch(bare.url);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('npm run build:dashboard');
      expect((await fetch(`${bare.url}api/summary`)).status).toBe(200);
    } finally {
      await bare.close();
    }
  });

  it('prints the URL, serves until SIGTERM, then closes the store', async () => {
    const out = new CapturedOutput();
    const dir = join(work, 'db-cli');
    const running = main(['serve', '--port', '0', '--db', dir], out);
    await expect.poll(() => out.stdout, { timeout: 15_000 }).toMatch(/http:\/\/127\.0\.0\.1:\d+\//);
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out.stdout)?.[0] ?? '';
    expect((await fetch(`${url}config.json`)).status).toBe(200);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    // The store's lock is released: the directory opens again.
    const reopened = await startEmbeddedStore({ dir });
    await reopened.close();
  });

  it('rejects a bad port and a port in use as usage errors', async () => {
    const out = new CapturedOutput();
    expect(await main(['serve', '--port', 'http'], out)).toBe(2);
    expect(out.stderr).toContain('--port');
    const busy = new URL(server.url).port;
    const second = new CapturedOutput();
    expect(await main(['serve', '--port', busy, '--db', join(work, 'db-busy')], second)).toBe(2);
    expect(second.stderr).toContain(`port ${busy}`);
  });
});
