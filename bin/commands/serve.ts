/**
 * `relay-audit serve [--db DIR] [--port 8787] [--host 127.0.0.1]` — the dashboard and the query API
 * on one local HTTP server. The API is the very handler the API Lambda runs (mounted under `/api`
 * through its node:http adapter); everything else is the built dashboard from `dist/dashboard/`.
 *
 * Loopback only by default: the API has no sign-in locally, so binding another address is the
 * user's explicit choice and is warned about.
 */

import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { DashboardConfig } from '../../functions/api/contract.js';
import type { ApiHost } from '../../functions/api/host-advice.js';
import { createRequestListener } from '../../functions/api/http-adapter.js';
import { ArgumentError, ConfigError, StoreError } from '../../functions/core/kernel/errors.js';
import { createLogger, type LogLevel, levelFromEnv } from '../../functions/runtime/logger.js';
import { OrganisationConfigStore } from '../../functions/store/organisation-config.js';
import { readCommandLine } from '../support/command.js';
import { parseFlags, wholeNumberFlag } from '../support/flags.js';
import { LOCAL_UPLOAD_PATH, LocalUploads, removeAbandonedUploads } from '../support/local-uploads.js';
import type { Output } from '../support/output.js';
import { packageRoot } from '../support/package-root.js';
import { isSourceLeaseGone } from '../support/source-lease.js';
import { openStore, type StoreFlags, storeFlagsText } from '../support/store-options.js';
import { SERVE } from './definitions.js';

/** Default port (an unassigned one, away from the usual development servers). */
export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';
/** Where the API is mounted; the dashboard learns it from `/config.json`. */
export const API_BASE = '/api';

export interface ServerOptions extends StoreFlags {
  port?: number;
  host?: string;
  /** Directory of the built dashboard (default: `dist/dashboard` of this package). */
  dashboardDir?: string;
  /** Level of the API's request log, written to stderr (default `warn`, or `LOG_LEVEL`). */
  logLevel?: LogLevel;
  /**
   * For tests only (no command-line flag): adds `auth` to the served `/config.json`, so the
   * dashboard signs in as it does in the cloud, and lets the page connect to the issuer's origin
   * (its discovery and token endpoints). The local API itself still checks no token.
   */
  dashboardAuth?: DashboardConfig['auth'];
}

export interface RunningServer {
  /** `http://host:port/` — what to open in a browser. */
  url: string;
  /** Whether `dashboardDir` holds a built dashboard (`index.html`). */
  dashboardBuilt: boolean;
  dashboardDir: string;
  /** Where the findings are read from, e.g. `embedded store in .relay-audit/`. */
  storeDescription: string;
  /** Stops accepting requests, drops idle keep-alive connections and closes the store. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};

/**
 * Security headers of every dashboard response: no framing, no sniffing, and a policy that lets
 * the page load only its own scripts and styles and call only its own origin.
 */
function securityHeaders(connectOrigin?: string): Readonly<Record<string, string>> {
  const connect = connectOrigin === undefined ? "'self'" : `'self' ${connectOrigin}`;
  return {
    'content-security-policy':
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; ` +
      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  };
}

const SECURITY_HEADERS = securityHeaders();

/** Default location of the built dashboard. */
export function defaultDashboardDir(): string {
  return join(packageRoot(), 'dist', 'dashboard');
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
  head: boolean,
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(head ? undefined : body);
}

function sendText(res: ServerResponse, status: number, text: string, head: boolean, extra = {}): void {
  send(
    res,
    status,
    { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra },
    text,
    head,
  );
}

/**
 * The file a request path names inside `root`, or a reason it names none. Percent-escapes are
 * decoded once; a `..` segment, a backslash or a NUL anywhere is refused outright rather than
 * normalised away, and the resolved path must still lie inside `root`.
 */
export function resolveStaticPath(
  root: string,
  pathname: string,
): { kind: 'file'; path: string } | { kind: 'bad' } {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: 'bad' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { kind: 'bad' };
  const segments = decoded.split('/');
  if (segments.some((segment) => segment === '..')) return { kind: 'bad' };
  const relative = segments.filter((segment) => segment !== '' && segment !== '.').join('/');
  const path = resolve(root, relative === '' ? 'index.html' : relative);
  if (path !== root && !path.startsWith(`${root}${sep}`)) return { kind: 'bad' };
  return { kind: 'file', path };
}

async function readFileIfExists(path: string): Promise<Buffer | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? await readFile(path) : undefined;
  } catch {
    return undefined;
  }
}

const NOT_BUILT_PAGE = (dir: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>relay-audit — dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>No <code>index.html</code> in <code>${dir.replaceAll('&', '&amp;').replaceAll('<', '&lt;')}</code>.
Build it with <code>npm run build:dashboard</code> (or <code>npm run build</code>) and reload.</p>
<p>The API is running: try <a href="${API_BASE}/summary">${API_BASE}/summary</a>.</p></body></html>`;

/** Serves the built dashboard: files with their content types, `index.html` for app paths. */
function createStaticHandler(root: string, config: DashboardConfig) {
  const configBody = JSON.stringify(config);
  // With sign-in the page also calls the identity provider (discovery, token endpoint).
  const pageHeaders = config.auth === undefined ? {} : securityHeaders(new URL(config.auth.issuer).origin);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      sendText(res, 405, 'method not allowed\n', false, { allow: 'GET, HEAD' });
      return;
    }
    // The raw path, not a URL object's: the WHATWG parser would quietly resolve `/../` segments.
    const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
    if (rawPath === '/config.json') {
      send(
        res,
        200,
        { 'content-type': CONTENT_TYPES['.json'] ?? '', 'cache-control': 'no-store' },
        configBody,
        head,
      );
      return;
    }
    const target = resolveStaticPath(root, rawPath);
    if (target.kind === 'bad') {
      sendText(res, 400, 'bad request path\n', head);
      return;
    }
    const indexPath = join(root, 'index.html');
    const assetsDir = `${join(root, 'assets')}${sep}`;
    let path = target.path;
    let body = await readFileIfExists(path);
    // An application path such as /findings (no extension, not an asset): the single page answers it.
    const appPath = path === indexPath || (extname(path) === '' && !`${path}${sep}`.startsWith(assetsDir));
    if (body === undefined && appPath) {
      path = indexPath;
      body = await readFileIfExists(path);
      if (body === undefined) {
        send(
          res,
          503,
          { 'content-type': CONTENT_TYPES['.html'] ?? '', 'cache-control': 'no-store' },
          NOT_BUILT_PAGE(root),
          head,
        );
        return;
      }
    }
    if (body === undefined) {
      sendText(res, 404, 'not found\n', head);
      return;
    }
    const immutable = path.startsWith(assetsDir);
    send(
      res,
      200,
      {
        ...pageHeaders,
        'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
        // Vite names assets by content hash; index.html must be revalidated to pick up new ones.
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
      body,
      head,
    );
  };
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(new ArgumentError(`port ${port} on ${host} is in use; choose another with --port`));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
        reject(new ArgumentError(`--host ${host} is not an address of this machine`));
      else if (error.code === 'EACCES')
        reject(new ArgumentError(`not allowed to listen on port ${port}; use one above 1023`));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolveListen(server.address() as AddressInfo);
    });
  });
}

function urlOf(address: AddressInfo): string {
  const host =
    address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}

/** Host names of this machine's loopback interface, as a browser may write them. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Which `Host` headers the server answers: the address it was bound to (and, bound to loopback, the
 * loopback names), with or without the port. Bound to every interface (`0.0.0.0`, `::`) the
 * machine's names are not known, so any is answered (the command warns that the data is exposed).
 */
export function hostCheck(boundHost: string, port: number): (header: string | undefined) => boolean {
  const bound = boundHost.toLowerCase();
  if (bound === '0.0.0.0' || bound === '::' || bound === '[::]') return () => true;
  const names = new Set([bound.includes(':') && !bound.startsWith('[') ? `[${bound}]` : bound]);
  if (LOOPBACK.test(bound)) for (const name of LOOPBACK_NAMES) names.add(name);
  const accepted = new Set([...names].flatMap((name) => [name, `${name}:${port}`]));
  return (header) => header !== undefined && accepted.has(header.trim().toLowerCase());
}

/**
 * Where the API's advice says to run a command on the served store: its options (` --db /abs/path`:
 * the embedded store by its absolute path, as the command is typed in another terminal, maybe in
 * another folder), and whether this server holds it (the embedded store: its lock keeps other
 * processes out while serve runs).
 */
async function servedHost(flags: StoreFlags): Promise<ApiHost> {
  if (flags.table !== undefined || flags.stack !== undefined) {
    return { kind: 'serve', storeOptions: storeFlagsText(flags), holdsStore: false };
  }
  const { DEFAULT_STORE_DIR } = await import('../../functions/store/embedded-engine.js');
  return {
    kind: 'serve',
    storeOptions: storeFlagsText({ db: resolve(flags.db ?? DEFAULT_STORE_DIR) }),
    holdsStore: true,
  };
}

/**
 * Opens the store and starts the server: `/api/…` goes to the query API, `/config.json` tells the
 * dashboard where that is, everything else is the dashboard. Exported for tests.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const port = options.port ?? DEFAULT_PORT;
  const host = options.host ?? DEFAULT_HOST;
  const dashboardDir = resolve(options.dashboardDir ?? defaultDashboardDir());
  // A new store is created: the dashboard takes uploads, so serving an empty one is a way to begin.
  const handle = await openStore(options);
  // Quiet by default: warnings and errors only, which Powertools writes to stderr.
  const logger = createLogger(
    'relay-audit-serve',
    options.logLevel ?? (process.env.LOG_LEVEL ? levelFromEnv() : 'warn'),
  );
  // Dashboard uploads: granted by the API as in the cloud, taken by this server (see local-uploads.ts).
  // A server killed mid-analysis left its upload's temporary file: removed before any is taken.
  await removeAbandonedUploads(logger);
  const uploads = new LocalUploads(handle, logger);
  const api = createRequestListener(
    {
      store: handle.store,
      readiness: new OrganisationConfigStore(handle),
      uploads,
      host: await servedHost(options),
      // A run of this host that died (a killed serve or analyze) shows interrupted at once.
      isLeaseGone: isSourceLeaseGone,
      logger,
    },
    { basePath: API_BASE },
  );
  const statics = createStaticHandler(dashboardDir, {
    apiBase: API_BASE,
    ...(options.dashboardAuth === undefined ? {} : { auth: options.dashboardAuth }),
  });
  let acceptsHost: (header: string | undefined) => boolean = () => false;
  const server = createServer((req, res) => {
    // DNS rebinding: a page of another site whose name now points at 127.0.0.1 would reach this
    // server as "same origin". Only the names this server was bound as are answered.
    if (!acceptsHost(req.headers.host)) {
      sendText(res, 421, 'unknown host: open the address relay-audit serve printed\n', req.method === 'HEAD');
      return;
    }
    const path = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
    if (path === API_BASE || path.startsWith(`${API_BASE}/`)) {
      api(req, res);
      return;
    }
    if (path.startsWith(LOCAL_UPLOAD_PATH)) {
      uploads.receive(req, res, path.slice(LOCAL_UPLOAD_PATH.length)).catch((error: unknown) => {
        logger.error('upload not taken', { error });
        if (!res.headersSent) sendText(res, 500, 'internal error\n', false);
        else res.destroy();
      });
      return;
    }
    statics(req, res).catch((error: unknown) => {
      logger.error('static file not served', { path: path.slice(0, 200), error });
      if (!res.headersSent) sendText(res, 500, 'internal error\n', false);
      else res.destroy();
    });
  });
  let address: AddressInfo;
  try {
    address = await listen(server, port, host);
  } catch (error) {
    await handle.close();
    throw error;
  }
  acceptsHost = hostCheck(host, address.port);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolveClose) => {
      server.close(() => resolveClose());
      // A browser keeps connections open; without this close() would wait for them to time out.
      server.closeAllConnections();
    })
      .then(() => uploads.settle())
      .then(() => handle.close());
    return closing;
  };
  return {
    url: urlOf(address),
    dashboardBuilt: existsSync(join(dashboardDir, 'index.html')),
    dashboardDir,
    storeDescription: handle.description,
    close,
  };
}

const Flags = z.object({
  port: wholeNumberFlag(0, 65535).default(DEFAULT_PORT),
  host: z.string().trim().min(1, { error: 'must not be empty' }).default(DEFAULT_HOST),
});

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** Resolves when the process is asked to stop (Ctrl+C, or a service manager's SIGTERM). */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolveStop) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function runServe(argv: string[], out: Output): Promise<number> {
  const { values } = readCommandLine(SERVE, argv);
  const { port, host } = parseFlags(Flags, { port: values.port, host: values.host });
  let running: RunningServer;
  try {
    running = await startServer({ ...values, port, host });
  } catch (error) {
    // Errors that already say what to do keep their own exit status (a usage error or missing AWS
    // region or credentials is exit 2, like the other commands'); anything else failed the store.
    if (error instanceof StoreError || error instanceof ArgumentError || error instanceof ConfigError) {
      throw error;
    }
    throw new StoreError(`cannot start the server: ${(error as Error).message}`, { cause: error });
  }
  const lines = [
    `relay-audit dashboard: ${running.url}`,
    `  API: ${running.url}api/summary`,
    `  findings from the ${running.storeDescription}`,
  ];
  if (!running.dashboardBuilt) {
    lines.push(
      `  The dashboard is not built (no ${join(running.dashboardDir, 'index.html')}): run "npm run build:dashboard"; the API answers meanwhile.`,
    );
  }
  if (!LOOPBACK.test(host)) {
    lines.push(
      `  Warning: listening on ${host}: anyone who can reach this machine can read the findings (no sign-in).`,
    );
  }
  lines.push('Press Ctrl+C to stop.');
  await out.write(`${lines.join('\n')}\n`);
  const signal = await untilStopped();
  out.error(`relay-audit serve: ${signal}, stopping`);
  await running.close();
  return 0;
}
