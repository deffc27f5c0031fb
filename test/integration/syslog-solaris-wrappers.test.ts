/**
 * Solaris sendmail lines (`[ID 801593 mail.info]` before the text) as a central rsyslog writes them
 * in RFC 5424 and as `journalctl -o json` holds them: the same finding as the traditional lines. And
 * MTA lines with a prefix relay-audit does not know before the queue id: a refusal in one fails the
 * file, naming the line, never "no relay refusals"
 * (test/fixtures/real-world/mail-log-wrappers/README.md).
 */
import { describe, expect, it } from 'vitest';
import { analyzeNoStore, type FindingRow, findingRow, type NoStoreRun } from '../support/analyze-no-store.js';

const DIR = 'test/fixtures/real-world/mail-log-wrappers';

async function analyse(file: string): Promise<NoStoreRun<FindingRow>> {
  const run = await analyzeNoStore(`${DIR}/${file}`, '--accepted-domains', 'contoso.com', '--year', '2026');
  return { ...run, findings: run.findings.map(findingRow) };
}

describe('Solaris message ids inside wrappers', () => {
  it.each([
    ['solaris-sendmail.log', 'traditional syslog'],
    ['solaris-sendmail-rfc5424.log', 'RFC 5424 from a central rsyslog'],
    ['solaris-sendmail-journal.json', 'journalctl -o json'],
  ])('%s (%s) gives the refusal of ar@litware.com', async (file) => {
    const run = await analyse(file);
    expect(run.status).toBe(0);
    expect(run.source).toMatchObject({ status: 'done', format: 'sendmail-log', rowsRead: 3, rowsSkipped: 0 });
    expect(run.findings).toEqual([[2, 'ar@litware.com', 'connector-mismatch', '2026-11-28T22:25:02.000Z']]);
  });
});

describe('an unknown prefix before the queue id', () => {
  it.each([
    ['postfix-unknown-prefix.log', 6, 'a Postfix line that does not start with a queue id'],
    ['exim-unknown-prefix.log', 2, 'an Exim line that does not start with a message id'],
  ])('%s fails on line %i, whose refusal was not read', async (file, line, what) => {
    const run = await analyse(file);
    expect(run.status).toBe(1);
    expect(run.findings).toEqual([]);
    expect(run.source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    // Only the line with refusal text is skipped: connect, disconnect and the others stay read.
    expect(run.source.skipped).toEqual([
      {
        line,
        reason: 'REFUSAL_NOT_READ',
        message: expect.stringMatching(
          new RegExp(`^${what}: "#\\d+ .*", yet it holds relay-refusal text \\(5\\.7\\.64\\)$`),
        ),
      },
    ]);
    expect(run.source.errorMessage).toContain(`${file}: line ${line} could not be read — ${what}`);
  });
});

describe("the relay's own rejections at RCPT time, quoting the refusal its verification got", () => {
  const VERIFY = 'test/fixtures/real-world/verify-rejections';

  it.each([
    ['postfix-verify.log', 6, [[4, 'noc@adatum.com']]],
    ['exim-callout.log', 2, []],
  ])('%s is read, noting the rejection of line %i, and does not fail', async (file, line, findings) => {
    const run = await analyzeNoStore(
      `${VERIFY}/${file}`,
      '--accepted-domains',
      'contoso.com',
      '--year',
      '2026',
    );
    expect(run.status).toBe(0);
    expect(run.source).toMatchObject({ status: 'done', rowsSkipped: 0 });
    // Postfix's verify probe is queued and refused: that line is the finding; Exim's callout is no message.
    expect(run.findings.map((finding) => [finding.source.line, finding.recipient])).toEqual(findings);
    const note = run.source.notes?.find((candidate) => candidate.code === 'VERIFY_REFUSALS');
    expect(note?.message).toMatch(new RegExp(`^Line ${line} is this relay's own rejection at RCPT time`));
  });
});
