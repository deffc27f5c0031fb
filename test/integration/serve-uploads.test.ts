/**
 * Dashboard uploads on `relay-audit serve`, through its real HTTP server: the form is streamed to a
 * temporary file (memory does not grow with the file) that is removed once the analysis is over; a
 * grant is used only by the upload it accepts (refused requests leave it for a retry, and of two
 * uploads at once only one wins); sizes are decimal digits; Unicode file names keep their letters.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningServer, startServer } from '../../bin/commands/serve.js';
import { UPLOAD_TEMP_PREFIX, uploadsTempDir } from '../../bin/support/local-uploads.js';

const SAMPLE = join(import.meta.dirname, '..', '..', 'sample-logs', 'postfix-mail.log');
const PACKED_XZ = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'real-world',
  'packed-mail-logs',
  'mail.log.2.xz',
);

interface Grant {
  url: string;
  fields: Record<string, string>;
  key: string;
  maxBytes: number;
}

let work: string;
/**
 * A full garbage collection on demand, as `--expose-gc` gives (the test runner starts no process with
 * it): memory is then what is held, not what is left for a collection that has not come yet.
 */
function garbageCollector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** TMPDIR of the server under test: where its uploads wait for their analysis. */
let uploadsTemp: string;
let server: RunningServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'relay-audit-serve-uploads-'));
  uploadsTemp = join(work, 'tmp');
  await mkdir(uploadsTemp);
  vi.stubEnv('TMPDIR', uploadsTemp);
  server = await startServer({ db: join(work, 'db'), port: 0, logLevel: 'silent' });
});

afterAll(async () => {
  await server?.close();
  vi.unstubAllEnvs();
  if (work) await rm(work, { recursive: true, force: true });
});

async function grantFor(name: string, size: number, on = server): Promise<Grant> {
  const query = new URLSearchParams({ name, size: String(size) });
  const response = await fetch(`${on.url}api/uploads?${query}`, { method: 'POST' });
  expect(response.status).toBe(201);
  return (await response.json()) as Grant;
}

/** A file to send: its bytes, or a file on disk read as a stream (nothing of it held in memory). */
type Body = { content: Buffer } | { path: string; size: number };

interface PostOptions {
  method?: string;
  contentType?: string;
  /** Sent after the fields and the first half of the file; the rest waits for it. */
  hold?: Promise<void>;
  /** Called once the first half is sent. */
  onHalfSent?: () => void;
  /** Leaves out the form's closing boundary, as a form cut short. */
  unfinished?: boolean;
  /** Sent without a Content-Length (chunked). */
  chunked?: boolean;
}

/**
 * A form POST as a browser sends it (`key` and the other fields, then `file`), written straight to
 * the socket with its Content-Length: unlike fetch with FormData, the file is never in memory.
 */
async function postForm(
  url: string,
  fields: Record<string, string>,
  file: Body | undefined,
  options: PostOptions = {},
): Promise<{ status: number; body: string }> {
  const boundary = `----relay-audit-test-${randomBytes(8).toString('hex')}`;
  const head = Buffer.concat([
    ...Object.entries(fields).map(([name, value]) =>
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    ),
    ...(file === undefined
      ? []
      : [
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.log"\r\n` +
              'Content-Type: application/octet-stream\r\n\r\n',
          ),
        ]),
  ]);
  const tail = options.unfinished
    ? Buffer.alloc(0)
    : Buffer.from(`${file === undefined ? '' : '\r\n'}--${boundary}--\r\n`);
  const fileSize = file === undefined ? 0 : 'content' in file ? file.content.length : file.size;
  const target = new URL(url, server.url);
  const req = request({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: options.method ?? 'POST',
    headers: {
      'content-type': options.contentType ?? `multipart/form-data; boundary=${boundary}`,
      ...(options.chunked ? {} : { 'content-length': String(head.length + fileSize + tail.length) }),
    },
  });
  // A connection that fails ends the sending too (else a write would wait for a drain that never comes).
  let answer: { status: number; body: string } | undefined;
  const failed = new Promise<never>((_resolve, reject) => req.on('error', reject));
  failed.catch(() => undefined);
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        answer = { status: res.statusCode ?? 0, body };
        resolve(answer);
      });
      res.on('error', reject);
    });
  });
  const write = async (chunk: Buffer) => {
    if (!req.write(chunk)) await Promise.race([once(req, 'drain'), failed]);
  };
  try {
    await write(head);
    if (file !== undefined && 'content' in file) {
      const half = Math.floor(file.content.length / 2);
      await write(file.content.subarray(0, half));
      options.onHalfSent?.();
      await Promise.race([options.hold, failed]);
      await write(file.content.subarray(half));
    } else if (file !== undefined) {
      for await (const chunk of createReadStream(file.path)) await write(chunk as Buffer);
    }
    req.end(tail);
    return await Promise.race([response, failed]);
  } catch (error) {
    // A server that answers before the whole form is sent (a refusal) may close the connection.
    if (answer !== undefined) return answer;
    throw error;
  }
}

async function sourceStatus(key: string): Promise<string | undefined> {
  const sources = (await (await fetch(`${server.url}api/sources?limit=500`)).json()) as {
    items: { file: string; status: string }[];
  };
  return sources.items.find((source) => source.file === key)?.status;
}

async function sourcesFor(key: string): Promise<number> {
  const sources = (await (await fetch(`${server.url}api/sources?limit=500`)).json()) as {
    items: { file: string }[];
  };
  return sources.items.filter((source) => source.file === key).length;
}

/** The temporary directories of uploads still there (in the directory of uploads, under TMPDIR). */
async function uploadsLeft(): Promise<string[]> {
  expect(uploadsTempDir().startsWith(uploadsTemp)).toBe(true);
  const names = await readdir(uploadsTempDir()).catch(() => []);
  return names.filter((name) => name.startsWith(UPLOAD_TEMP_PREFIX));
}

/** Waits until the upload is analysed and its temporary file is gone. */
async function analysed(key: string, status = 'done'): Promise<void> {
  await expect.poll(() => sourceStatus(key), { timeout: 60_000 }).toBe(status);
  await expect.poll(() => uploadsLeft(), { timeout: 10_000 }).toEqual([]);
}

describe('a dashboard upload on serve', () => {
  it('is streamed to a temporary file: memory does not grow with the file, and the file is removed', async () => {
    // Prepare: 64 MiB of text, made on disk and sent from it, so the test's own side holds none of it.
    const size = 64 * 1024 * 1024;
    const path = join(work, 'large.log');
    const line = `${'not a mail log line, just filler '.repeat(3)}\n`;
    const block = Buffer.from(line.repeat(Math.ceil(2 ** 20 / line.length))).subarray(0, 2 ** 20);
    const out = createWriteStream(path);
    for (let written = 0; written < size; written += block.length) {
      if (!out.write(block)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    expect((await stat(path)).size).toBe(size);
    const grant = await grantFor('large.log', size);
    // Every 50 ms while the form is sent and taken, after a collection: the most memory held.
    const collect = garbageCollector();
    collect();
    const base = process.memoryUsage();
    let peak = { rss: base.rss, arrayBuffers: base.arrayBuffers };
    const sample = () => {
      collect();
      const now = process.memoryUsage();
      peak = {
        rss: Math.max(peak.rss, now.rss),
        arrayBuffers: Math.max(peak.arrayBuffers, now.arrayBuffers),
      };
    };
    const sampler = setInterval(sample, 50);
    let sent: { status: number; body: string };
    try {
      // Act
      sent = await postForm(grant.url, grant.fields, { path, size });
      sample();
    } finally {
      clearInterval(sampler);
    }
    // Assess: parsed in memory, the form's buffers alone held its size (and the process's RSS grew by
    // several times that: 1.6–2.1 GB for a 300 MB upload); streamed, a few of its chunks at a time.
    expect(sent.status, sent.body).toBe(204);
    expect(peak.arrayBuffers - base.arrayBuffers).toBeLessThan(size / 4);
    expect(peak.rss - base.rss).toBeLessThan(size);
    // Not a mail log: analysed from the temporary file, failed, and the file removed.
    await analysed(grant.key, 'failed');
  }, 120_000);

  it('analyses the file from its temporary copy and removes it', async () => {
    // Prepare
    const content = await readFile(SAMPLE);
    const grant = await grantFor('postfix-mail.log', content.length);
    // Act
    const sent = await postForm(grant.url, grant.fields, { content });
    // Assess
    expect(sent.status, sent.body).toBe(204);
    await analysed(grant.key);
  });

  it('dates syslog lines in the year of the file modification time the form names', async () => {
    // Prepare: a Postfix log (dates without a year) last written on 1 December 2024, its time sent
    // as the dashboard sends it (x-amz-meta-file-modified, the field S3 keeps as object metadata).
    const content = await readFile(SAMPLE);
    const grant = await grantFor('mail.log', content.length);
    const fields = { ...grant.fields, 'x-amz-meta-file-modified': '2024-12-01T08:00:00.000Z' };
    // Act
    const sent = await postForm(grant.url, fields, { content });
    // Assess: its refusals are stored in November 2024, not in the year of the upload.
    expect(sent.status, sent.body).toBe(204);
    await analysed(grant.key);
    const query = new URLSearchParams({ from: '2024-11-01', to: '2024-11-30', limit: '100' });
    const found = (await (await fetch(`${server.url}api/findings?${query}`)).json()) as {
      items: { source: { file: string }; timestamp: string }[];
    };
    const mine = found.items.filter((finding) => finding.source.file === grant.key);
    expect(mine.length).toBeGreaterThan(0);
    for (const finding of mine) expect(finding.timestamp).toMatch(/^2024-11-28T/);
  });

  it('refuses a packed file with advice for the uploader: unpack their copy, upload what it gives', async () => {
    // Prepare: logrotate's xz-compressed rotation of a Postfix log.
    const content = await readFile(PACKED_XZ);
    const grant = await grantFor('mail.log.2.xz', content.length);
    // Act
    const sent = await postForm(grant.url, grant.fields, { content });
    // Assess: the command names the file by its name, to run on the uploader's computer.
    expect(sent.status, sent.body).toBe(204);
    await analysed(grant.key, 'failed');
    const sources = (await (await fetch(`${server.url}api/sources?limit=500`)).json()) as {
      items: { file: string; errorMessage?: string }[];
    };
    expect(sources.items.find((source) => source.file === grant.key)?.errorMessage).toBe(
      `${grant.key} is xz-compressed, not a text file: decompress it on your computer (xz -dk mail.log.2.xz) ` +
        'and upload the file that gives. relay-audit reads text files and gzip-compressed ones.',
    );
  });

  it('keeps the letters of a Unicode file name (NFC), not underscores', async () => {
    // Prepare: the name as macOS gives it (decomposed: u + combining diaeresis).
    const content = await readFile(SAMPLE);
    const grant = await grantFor('ünïcödé 日本 ✉.log'.normalize('NFD'), content.length);
    // Act
    const sent = await postForm(grant.url, grant.fields, { content });
    // Assess
    expect(grant.key.split('/').pop()).toBe('ünïcödé_日本_.log');
    expect(sent.status, sent.body).toBe(204);
    await analysed(grant.key);
  });
});

describe('an upload grant', () => {
  it('is not used up by refused requests: the upload that follows is accepted, once', async () => {
    // Prepare
    const content = await readFile(SAMPLE);
    const grant = await grantFor('postfix-mail.log', content.length);
    const url = new URL(grant.url, server.url).href;
    // Act: what a browser or a script may get wrong first.
    const get = await fetch(url);
    const notAForm = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: content,
    });
    const wrongKey = await postForm(grant.url, { ...grant.fields, key: `${grant.key}x` }, { content });
    const noKey = await postForm(grant.url, {}, { content });
    const tooLarge = await postForm(grant.url, grant.fields, {
      content: Buffer.concat([content, Buffer.from('one line too many\n')]),
    });
    const noFile = await postForm(grant.url, grant.fields, undefined);
    const noBoundary = await postForm(
      grant.url,
      grant.fields,
      { content },
      { contentType: 'multipart/form-data' },
    );
    const cutShort = await postForm(grant.url, grant.fields, { content }, { unfinished: true });
    const chunked = await postForm(grant.url, grant.fields, { content }, { chunked: true });
    const accepted = await postForm(grant.url, grant.fields, { content });
    const again = await postForm(grant.url, grant.fields, { content });
    // Assess
    expect([get.status, notAForm.status, noBoundary.status]).toEqual([405, 400, 400]);
    expect([wrongKey.status, noKey.status]).toEqual([403, 403]);
    expect(wrongKey.body).toMatch(/key is not the one granted/);
    expect([tooLarge.status, noFile.status, cutShort.status]).toEqual([400, 400, 400]);
    expect(tooLarge.body).toMatch(/larger than its grant allows/);
    expect(noFile.body).toMatch(/no file in the form/);
    expect(cutShort.body).toMatch(/cut short/);
    expect(chunked.status).toBe(411);
    expect(accepted.status, accepted.body).toBe(204);
    expect(again.status).toBe(403);
    expect(again.body).toMatch(/used or expired/);
    await analysed(grant.key);
    expect(await sourcesFor(grant.key)).toBe(1);
  });

  it('takes one of two uploads sent at once; the other is refused', async () => {
    // Prepare: both forms half sent before either ends.
    const content = await readFile(SAMPLE);
    const grant = await grantFor('postfix-mail.log', content.length);
    let release = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    let halves = 0;
    const onHalfSent = () => {
      halves += 1;
      if (halves === 2) release();
    };
    // Act
    const both = await Promise.all([
      postForm(grant.url, grant.fields, { content }, { hold, onHalfSent }),
      postForm(grant.url, grant.fields, { content }, { hold, onHalfSent }),
    ]);
    // Assess
    expect(both.map((response) => response.status).sort()).toEqual([204, 403]);
    await analysed(grant.key);
    expect(await sourcesFor(grant.key)).toBe(1);
  });
});

describe('closing the server', () => {
  it('ends an upload still being sent and removes its temporary file', async () => {
    // Prepare: a second server, and an upload half sent to it.
    const other = await startServer({ db: join(work, 'closing-db'), port: 0, logLevel: 'silent' });
    const content = await readFile(SAMPLE);
    const grant = await grantFor('postfix-mail.log', content.length, other);
    let release = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    let halfSent = () => {};
    const started = new Promise<void>((resolve) => {
      halfSent = resolve;
    });
    const sending = postForm(
      new URL(grant.url, other.url).href,
      grant.fields,
      { content },
      { hold, onHalfSent: halfSent },
    );
    sending.catch(() => undefined);
    await started;
    await expect.poll(uploadsLeft).toHaveLength(1);
    // Act
    await other.close();
    release();
    // Assess: the client was cut off, and nothing is left behind.
    await expect(sending).rejects.toThrow();
    expect(await uploadsLeft()).toEqual([]);
  });
});

describe('POST /api/uploads', () => {
  it.each(['0x10', '1e3', '1.0', ' 12', '+12', 'Infinity', 'abc'])(
    'refuses size=%s with 400 naming size',
    async (size) => {
      // Act
      const response = await fetch(`${server.url}api/uploads?name=a.log&size=${encodeURIComponent(size)}`, {
        method: 'POST',
      });
      const body = (await response.json()) as { error: { code: string; message: string } };
      // Assess
      expect(response.status).toBe(400);
      expect(body.error.message).toMatch(/^size: must be the size in bytes/);
    },
  );

  it('takes a size in decimal digits', async () => {
    expect((await grantFor('a.log', 1000)).maxBytes).toBe(1000);
  });
});
