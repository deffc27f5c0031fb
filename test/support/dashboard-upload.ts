/** Uploading a file to `relay-audit serve` as its dashboard does, for the serve tests. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { expect } from 'vitest';
import type { RunningServer } from '../../bin/commands/serve.js';

/** Uploads `path` as the dashboard does (grant, then the form POST) and waits for its analysis. */
export async function uploadAsDashboard(server: RunningServer, path: string): Promise<void> {
  const content = await readFile(path);
  const name = basename(path);
  const granted = await fetch(`${server.url}api/uploads?name=${name}&size=${content.length}`, {
    method: 'POST',
  });
  expect(granted.status).toBe(201);
  const grant = (await granted.json()) as { url: string; fields: Record<string, string>; key: string };
  const form = new FormData();
  for (const [field, value] of Object.entries(grant.fields)) form.append(field, value);
  form.append('file', new Blob([content]), name);
  expect((await fetch(new URL(grant.url, server.url), { method: 'POST', body: form })).status).toBe(204);
  await expect
    .poll(
      async () => {
        const sources = (await (await fetch(`${server.url}api/sources`)).json()) as {
          items: { file: string; status: string }[];
        };
        return sources.items.find((source) => source.file === grant.key)?.status;
      },
      { timeout: 30_000 },
    )
    .toBe('done');
}
