/**
 * An application's message sent as one envelope per recipient, built from the sample tracking logs
 * (the forwarded message of the rollover pair): one envelope for the internal recipient, another for
 * the outside one alone, and Exchange Online's refusal of the outside one. What the tests of the
 * "addressed by sender" rule across runs and uploads analyse, in the files each needs.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

const SAMPLES = resolve(import.meta.dirname, '..', '..', 'sample-logs');
/** The message's Message-ID. */
export const MESSAGE = 'CAJx7rT2mQ9kFz1v0b8YwP3n@mail.fabrikam.com';
/** The internal recipient its first envelope is for. */
export const INTERNAL = 'kate@contoso.com';
/** The outside recipient of its second envelope, whom Exchange Online refuses (5.7.64). */
export const REFUSED = 'kate@tailspintoys.com';

/** The rows, each a tracking-log line of the samples' field set. */
export interface EnvelopeRows {
  /** The `#` lines of a tracking log. */
  header: string[];
  /** RECEIVE for the internal recipient (22:14:57). */
  receipt: string;
  /** The same RECEIVE for the outside recipient alone: the second envelope. */
  outsideReceipt: string;
  /** Exchange Online's refusal of the outside recipient (22:15:03). */
  refusal: string;
}

export async function envelopeRows(): Promise<EnvelopeRows> {
  const first = (await readFile(join(SAMPLES, 'MSGTRK2026112800-1.LOG'), 'utf8')).replace(/^\uFEFF/, '');
  const lines = first.trimEnd().split('\n');
  const header = lines.filter((line) => line.startsWith('#'));
  const receipt = lines.find((line) => line.includes(MESSAGE) && line.includes(',RECEIVE,'));
  const refusal = (await readFile(join(SAMPLES, 'MSGTRK2026112800-2.LOG'), 'utf8'))
    .split('\n')
    .find((line) => line.includes(MESSAGE) && line.includes(',FAIL,'));
  if (receipt === undefined || refusal === undefined)
    throw new Error('the samples no longer hold the message');
  const outsideReceipt = receipt.replace(`${INTERNAL},To,`, `${REFUSED},To,`);
  if (outsideReceipt === receipt) throw new Error('the receipt no longer names the internal recipient');
  return { header, receipt, outsideReceipt, refusal };
}

/** Writes a tracking log of `rows` under `dir` at `path` (folders made); returns its full path. */
export async function writeLog(dir: string, path: string, header: string[], rows: string[]): Promise<string> {
  const full = join(dir, path);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, `${[...header, ...rows].join('\n')}\n`);
  return full;
}
