/**
 * Postfix and sendmail logs as they arrive from central syslog servers, journald and containers
 * (test/fixtures/real-world/mail-log-wrappers/README.md), through the CLI in-process with
 * `--no-store --json`: RFC 5424, a facility and severity beside the host, Solaris message ids,
 * `journalctl -o json`, Docker's json-file, the Kubernetes CRI log, the boky/postfix image's
 * stdout; `journalctl -o cat` (no dates) refused with what to export; a refusal in a line of a shape
 * relay-audit does not read fails its file instead of being skipped unsaid.
 */
import { describe, expect, it } from 'vitest';
import { analyzeNoStore, type FindingRow, findingRow, type NoStoreRun } from '../support/analyze-no-store.js';

const DIR = 'test/fixtures/real-world/mail-log-wrappers';

async function analyse(file: string): Promise<NoStoreRun<FindingRow>> {
  const run = await analyzeNoStore(`${DIR}/${file}`, '--accepted-domains', 'contoso.com', '--year', '2026');
  return { ...run, findings: run.findings.map(findingRow) };
}

/** `analyse`, for a file read whole: done, and every row it read analysed or skipped. */
async function analyseWhole(file: string): Promise<NoStoreRun<FindingRow>> {
  const run = await analyse(file);
  expect(run.source.status).toBe('done');
  expect(run.source.rowsRead).toBe(run.source.rowsAnalysed + run.source.rowsSkipped);
  return run;
}

describe('central syslog servers', () => {
  it('reads RFC 5424 as rsyslog (RSYSLOG_SyslogProtocol23Format) and syslog-ng write it, dated by its own zone', async () => {
    const run = await analyseWhole('central-rsyslog-rfc5424.log');
    expect(run.status).toBe(0);
    expect(run.source.format).toBe('postfix-log');
    expect(run.findings).toEqual([
      [5, 'noc@adatum.com', 'foreign-sender-domain', '2026-11-28T21:10:02.861Z'],
      [9, 'auditor@woodgrovebank.com', 'wrong-region', '2026-11-28T21:16:41.015Z'],
    ]);
    // systemd's line is another program's; RFC 5424 dates need no year.
    expect(run.source.skippedByReason).toEqual({ OTHER_PROGRAM: 1 });
    expect(run.source.notes ?? []).toEqual([]);
  });

  it('reads a file holding traditional and RFC 5424 lines, each relay by its own shape', async () => {
    const run = await analyseWhole('central-mixed-3164-5424.log');
    expect(run.status).toBe(0);
    expect(run.source.rowsSkipped).toBe(0);
    expect(run.findings).toEqual([
      [5, 'ap@litware.com', 'connector-mismatch', '2026-11-28T22:12:02.000Z'],
      [6, 'alerts@monitoring.contoso.com', 'ndr', '2026-11-28T21:12:02.310Z'],
    ]);
  });

  it("reads a template's facility and severity after the host (syslog-ng $FACILITY.$PRIORITY)", async () => {
    const run = await analyseWhole('syslog-ng-facility-template.log');
    expect(run.findings).toEqual([[4, 'ap@litware.com', 'connector-mismatch', '2026-11-28T21:14:13.000Z']]);
    expect(run.source.skippedByReason).toEqual({ OTHER_PROGRAM: 1 });
  });

  it('reads FreeBSD syslogd -v -v (<mail.info> before the host) and Solaris message ids ([ID 801593 mail.info])', async () => {
    const freebsd = await analyseWhole('freebsd-syslogd-vv.log');
    expect(freebsd.source.format).toBe('sendmail-log');
    expect(freebsd.findings).toEqual([
      [2, 'vendor@adatum.com', 'foreign-sender-domain', '2026-11-28T22:20:02.000Z'],
    ]);
    const solaris = await analyseWhole('solaris-sendmail.log');
    expect(solaris.findings).toEqual([
      [2, 'ar@litware.com', 'connector-mismatch', '2026-11-28T22:25:02.000Z'],
    ]);
  });
});

describe('journald and containers', () => {
  it('reads journalctl -o json, a record a line, bytes of a MESSAGE that is no UTF-8 too', async () => {
    const run = await analyseWhole('journalctl-postfix.json');
    expect(run.source.format).toBe('postfix-log');
    // Dated by _SOURCE_REALTIME_TIMESTAMP; systemd's own record is another program's.
    expect(run.findings).toEqual([
      [6, 'noc@adatum.com', 'foreign-sender-domain', '2026-11-28T21:10:02.861Z'],
    ]);
    expect(run.source.skippedByReason).toEqual({ OTHER_PROGRAM: 1 });
  });

  it("reads Docker's json-file, dated by Docker's time, and lists the container's own output", async () => {
    const run = await analyseWhole('docker-json-file.log');
    expect(run.findings).toEqual([
      [6, 'buyer@litware.com', 'foreign-sender-domain', '2026-11-28T21:15:32.118Z'],
    ]);
    expect(run.source.skipped).toEqual([expect.objectContaining({ line: 1, reason: 'BAD_LINE' })]);
    // The runtime's time has a year and a zone: no year was assumed.
    expect(run.source.notes ?? []).toEqual([]);
  });

  it('reads the Kubernetes CRI log of the boky/postfix image (its rsyslog time and severity inside)', async () => {
    const run = await analyseWhole('kubernetes-cri.log');
    expect(run.findings).toEqual([
      [4, 'auditor@woodgrovebank.com', 'wrong-region', '2026-11-28T21:16:41.015Z'],
    ]);
  });

  it('reads docker logs of the boky/postfix image: an ISO time and a severity, no host', async () => {
    const run = await analyseWhole('boky-postfix-docker-logs.log');
    expect(run.findings).toEqual([[3, 'alerts@monitoring.contoso.com', 'ndr', '2026-11-28T21:10:04.861Z']]);
  });
});

describe('what cannot be read is said, never passed over', () => {
  it('refuses journalctl -o cat (no dates) and says how to export the journal instead', async () => {
    const run = await analyse('journalctl-o-cat.log');
    expect(run.status).toBe(1);
    expect(run.source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
    expect(run.source.errorMessage).toMatch(
      /looks like journalctl -o cat output: mail log lines without their date/,
    );
    expect(run.source.errorMessage).toMatch(/journalctl -u postfix -o short-iso > mail\.log, or -o json/);
  });

  it('fails a file whose refusal is in a line of a shape it does not read, keeping the refusals it read', async () => {
    const run = await analyse('central-with-kiwi-lines.log');
    expect(run.status).toBe(1);
    expect(run.findings).toEqual([
      [3, 'noc@adatum.com', 'foreign-sender-domain', '2026-11-28T22:10:03.000Z'],
    ]);
    expect(run.source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ', rowsRead: 6 });
    expect(run.source.skipped).toEqual([
      expect.objectContaining({ line: 5, reason: 'BAD_LINE' }),
      expect.objectContaining({
        line: 6,
        reason: 'REFUSAL_NOT_READ',
        message: expect.stringMatching(
          /^not a syslog line: ".*", yet it holds relay-refusal text \(5\.7\.64\)$/,
        ),
      }),
    ]);
    expect(run.source.errorMessage).toMatch(
      /line 6 could not be read — not a syslog line: .* Its other lines were read and their refusals are reported, but not this line\./,
    );
  });
});
