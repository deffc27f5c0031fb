/**
 * Runs of rolled-over send protocol logs as admins collect them (test/fixtures/real-world/
 * smtp-transactions/rolled-over-runs/): with the informational rows filtered out, with a partial copy
 * of a log taken while Exchange still wrote it next to the finished log, with a log between missing,
 * and with an `attempting to connect` row that names no connector. One session sends two messages:
 * bad@adatum.com refused at RCPT TO in the first, x1@ and x2@adatum.com refused after the message in
 * the second. Each run gives every recipient the whole log refuses when it has every log of the
 * session, with no note that a log is missing; a run that lacks one gives at least every recipient
 * the refusal's own log names (never fewer than that log alone).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/smtp-transactions/rolled-over-runs';

const said = (findings: readonly Finding[]) =>
  findings.map((f) => [f.id, f.messageId, f.recipient, f.returnPath, f.scenario, f.code].join(' | ')).sort();

/** What a finding says but its id (which names the file and line it was read from). */
const withoutIds = (lines: readonly string[]) => lines.map((line) => line.split(' | ').slice(1).join(' | '));

async function analyse(names: readonly string[]) {
  const files: TextFile[] = await Promise.all(
    names.map(async (name) => ({ name, content: await readFile(`${DIR}/${name}`) })),
  );
  const { findings, sources } = await analyzeFiles(files, { accepted: 'contoso.com' });
  return {
    said: said(findings),
    recipients: findings.map((f) => f.recipient).sort(),
    notes: sources.flatMap((source) => source.notes ?? []).map((n) => n.code),
  };
}

/** Every order of `items`. */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, at) =>
    orders([...items.slice(0, at), ...items.slice(at + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('a session over rolled-over send protocol logs, as admins collect them', () => {
  it('joins logs whose informational rows were filtered out (their row numbers skip): no log is missing', async () => {
    const whole = await analyse(['filtered-whole.LOG']);
    expect(whole.recipients).toEqual(['bad@adatum.com', 'x1@adatum.com', 'x2@adatum.com']);
    for (const files of orders(['filtered-1.LOG', 'filtered-2.LOG'])) {
      expect(await analyse(files), files.join(', ')).toEqual(whole);
    }
    // The skip between -2 and -3, whose own rows do not skip: -1's do.
    for (const files of orders(['filtered-three-1.LOG', 'filtered-three-2.LOG', 'filtered-three-3.LOG'])) {
      expect(await analyse(files), files.join(', ')).toEqual(whole);
    }
  });

  it('goes on through the finished log, not a partial copy of it taken while Exchange still wrote it', async () => {
    const whole = await analyse(['whole.LOG']);
    expect(whole.recipients).toEqual(['bad@adatum.com', 'x1@adatum.com', 'x2@adatum.com']);
    const logs = ['snapshot-1.LOG', 'snapshot-2-partial-copy.LOG', 'snapshot-2.LOG', 'snapshot-3.LOG'];
    for (const files of orders(logs)) {
      const run = await analyse(files);
      expect(run.recipients, files.join(', ')).toEqual(whole.recipients);
      expect(run.notes, files.join(', ')).toEqual([]);
      // The same messages and senders as the whole log (the ids name each file's line).
      expect(withoutIds(run.said), files.join(', ')).toEqual(withoutIds(whole.said));
    }
  });

  it('keeps every recipient the refusal’s own log names when a log between is missing, and says so', async () => {
    const alone = await analyse(['missing-middle-3.LOG']);
    expect(alone.recipients).toContain('x1@adatum.com');
    expect(alone.recipients).toContain('x2@adatum.com');
    for (const files of orders(['missing-middle-1.LOG', 'missing-middle-3.LOG'])) {
      const run = await analyse(files);
      expect(run.recipients, files.join(', ')).toEqual(alone.recipients);
      expect(run.notes, files.join(', ')).toContain('SESSIONS_JOINED_LATE');
    }
  });

  it('joins a session whose `attempting to connect` row names no connector (its other rows do)', async () => {
    const whole = await analyse(['whole.LOG']);
    for (const files of orders(['no-connector-1.LOG', 'no-connector-2.LOG', 'no-connector-3.LOG'])) {
      const run = await analyse(files);
      expect(run.notes, files.join(', ')).toEqual([]);
      expect(withoutIds(run.said), files.join(', ')).toEqual(withoutIds(whole.said));
    }
  });
});
