/**
 * The query API's advice where it runs. The same handler serves the stack and `relay-audit serve`:
 * a file too large for a dashboard upload, and how to give the organisation's configuration (the
 * dashboard's upload takes logs and exports, not configuration), must each name a step that works
 * there — `relay-audit upload` and the bucket's config/ in the cloud; `relay-audit analyze` and
 * `relay-audit check --store` into the served store with `serve`, which no AWS is needed for.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli.js';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';
import { createRequestHandler, type RequestHandler } from '../../functions/api/api.js';
import type { ErrorBody, ReadinessResponse } from '../../functions/api/contract.js';
import { buildOrganisationConfig } from '../../functions/core/organisation/configuration.js';
import { checkOrganisationConfig } from '../../functions/core/readiness/report.js';
import { createLogger } from '../../functions/runtime/logger.js';
import type { EmbeddedServer } from '../../functions/store/embedded-engine.js';
import { OrganisationConfigStore } from '../../functions/store/organisation-config.js';
import { call } from '../support/api-client.js';
import { CapturedOutput } from '../support/capture-output.js';
import { startLocalDynamo } from '../support/local-engines.js';
import { sampleConfigFiles } from '../support/sample-config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ACCEPTED_DOMAINS = join(ROOT, 'sample-logs', 'config', 'accepted-domains.csv');
const TRACKING_LOG = join(ROOT, 'sample-logs', 'MSGTRK2026112800-1.LOG');
const AT = new Date('2026-11-29T12:00:00.000Z');
/** Twice as large as a dashboard upload may be. */
const TOO_LARGE = String(2_000_000_000);

let work: string;
/** The served store, in a folder whose name needs quoting on a command line. */
let db: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'relay-audit-host-advice-'));
  db = join(work, 'relay audit db');
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function serving<T>(use: (server: RunningServer) => Promise<T>): Promise<T> {
  const server = await startServer({ db, port: 0, dashboardDir: join(work, 'none'), logLevel: 'silent' });
  try {
    return await use(server);
  } finally {
    await server.close();
  }
}

async function getJson<T>(url: string, method = 'GET'): Promise<{ status: number; json: T }> {
  const response = await fetch(url, { method });
  return { status: response.status, json: (await response.json()) as T };
}

/** A command line as a POSIX shell splits it (plain words and single-quoted ones, as printed). */
function shellWords(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');
}

describe('relay-audit serve', () => {
  it('says to analyse a file too large to upload with relay-audit analyze into the served store', async () => {
    // Act
    const response = await serving((server) =>
      getJson<ErrorBody>(`${server.url}api/uploads?name=big.LOG&size=${TOO_LARGE}`, 'POST'),
    );
    // Assess
    expect(response.status).toBe(413);
    expect(response.json.error.message).toBe(
      'size: the file is larger than 1024 MiB; compress it (gzip) or stop relay-audit serve (Ctrl+C: it ' +
        `holds the store), run relay-audit analyze <file> --db '${db}', then start serve again (the dashboard then shows it)`,
    );
  });

  it('says to stop it first for such a command, which cannot open the store serve holds', async () => {
    // Act
    const { status, stderr } = await serving(async () => {
      const out = new CapturedOutput();
      return { status: await main(['analyze', TRACKING_LOG, '--db', db], out), stderr: out.stderr };
    });
    // Assess
    expect(status).toBe(1);
    expect(stderr).toMatch(/is in use by process/);
  });

  it('says to check the configuration into the served store, and that command stores it there', async () => {
    // Prepare
    const empty = await serving((server) => getJson<ReadinessResponse>(`${server.url}api/readiness`));
    const command =
      'relay-audit check --accepted-domains accepted-domains.csv --connectors inbound-connectors.json ' +
      `--certificate server.pem --store --db '${db}'`;
    expect(empty.json.configure).toEqual({ via: 'command', command, stopServer: true });
    expect(empty.json.message).toContain(
      `Check it into this store: stop relay-audit serve (Ctrl+C: it holds the store), run ${command}, then start serve again`,
    );
    expect(empty.json.message).not.toMatch(/bucket|config\//);
    // Act: the command as given, with this machine's files (the certificate left out).
    const words = shellWords(command).slice(1);
    words.splice(words.indexOf('--certificate'), 2);
    words[words.indexOf('--accepted-domains') + 1] = ACCEPTED_DOMAINS;
    words.splice(words.indexOf('--connectors'), 2);
    const status = await main([...words, '--at', AT.toISOString()], new CapturedOutput());
    // Assess: the dashboard of the same store shows it, and what is not checked says the same command.
    expect(status).toBe(0);
    const checked = await serving((server) => getJson<ReadinessResponse>(`${server.url}api/readiness`));
    expect(checked.json.configured).toBe(true);
    expect(checked.json.summary).toMatchObject({ error: 0, warning: 0 });
    expect(checked.json.message).toMatch(
      /not checked: no problems in what was checked; to check the rest, give the check the missing files too: stop relay-audit serve \(Ctrl\+C: it holds the store\), run relay-audit check .* --store --db '.*relay audit db', then start serve again\.$/,
    );
  });
});

describe('the API in the cloud', () => {
  let dynamo: EmbeddedServer;
  let api: RequestHandler;
  let readiness: OrganisationConfigStore;

  beforeAll(async () => {
    dynamo = await startLocalDynamo('relay-audit-host-advice');
    readiness = new OrganisationConfigStore(dynamo, { retry: { maxAttempts: 1 } });
    api = createRequestHandler({
      store: dynamo.store,
      readiness,
      uploads: { grant: () => Promise.reject(new Error('no grant for a file refused')) },
      logger: createLogger('test', 'silent'),
    });
  }, 60_000);

  afterAll(async () => {
    await dynamo?.close();
  });

  it('says to upload a file too large for the dashboard with relay-audit upload', async () => {
    // Act
    const response = await call<ErrorBody>(api, '/uploads', { name: 'big.LOG', size: TOO_LARGE }, 'POST');
    // Assess
    expect(response.status).toBe(413);
    expect(response.json.error.message).toBe(
      'size: the file is larger than 1024 MiB; compress it (gzip) or upload it with relay-audit upload',
    );
  });

  it("says to upload configuration under the bucket's config/, before and after a check", async () => {
    // Act
    const empty = await call<ReadinessResponse>(api, '/readiness');
    // Assess
    expect(empty.json.configure).toEqual({ via: 'bucket', prefix: 'config/' });
    expect(empty.json.message).toMatch(
      /^No organisation configuration has been checked yet\. Upload it under config\/ in the bucket: /,
    );
    expect(empty.json.message).not.toContain('relay-audit check');

    // Prepare: only the accepted domains were uploaded.
    const files = (await sampleConfigFiles()).filter((file) => file.name === 'config/accepted-domains.csv');
    const config = buildOrganisationConfig({ origin: 's3://relay-audit-test/config/', loadedAt: AT, files });
    expect(await readiness.save(config, checkOrganisationConfig(config, { at: AT, trigger: 'upload' }))).toBe(
      true,
    );
    // Act
    const partial = await call<ReadinessResponse>(api, '/readiness');
    // Assess
    expect(partial.json.summary).toMatchObject({ error: 0, warning: 0 });
    expect(partial.json.message).toMatch(
      /not checked: no problems in what was checked; upload the missing files under config\/ in the bucket to check the rest\.$/,
    );
  });
});
