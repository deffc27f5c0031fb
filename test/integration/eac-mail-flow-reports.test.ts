/**
 * Mail flow reports of the new Exchange admin center (Reports > Mail flow) handed to `analyze`: the
 * Non-accepted domain report as downloaded and re-saved by a de-DE Excel, and the Auto-forwarded
 * messages report. None is read (UNKNOWN_FORMAT, exit status 1), each is named with what it is to a
 * relay refusal and what to analyse instead, never with the list of headers of an unknown file; a
 * supported file of the same run is analysed as ever.
 * Fixtures: test/fixtures/real-world/eac-mail-flow-reports/ (described in its README.md).
 */
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { cli } from '../support/capture-output.js';

const DIR = 'test/fixtures/real-world/eac-mail-flow-reports';
/** A Postfix log of the same organisation with 4 relay refusals (3 findings): a file relay-audit reads. */
const POSTFIX = 'test/fixtures/real-world/postfix-soft-bounce.log';

/** The fixtures' folder and the log, analysed in one run. */
const FOLDER_AND_LOG = ['analyze', DIR, POSTFIX, '--accepted-domains', 'contoso.com', '--no-store'];

const NON_ACCEPTED =
  'looks like the Non-accepted domain report of the new Exchange admin center (Reports > Mail flow; its header ' +
  'on line 1: Inbound connector name, Sender domain, Count, Sample messages…), which relay-audit does not read: ' +
  'it holds no refusals, but counts messages from your on-premises servers that Exchange Online accepted (and ' +
  'may throttle) although their sender domain is not an accepted domain of the tenant. Its sender domains ' +
  '(fabrikam.com: 122 messages, alerts.contoso.com: 21, tailspintoys.com: 4, and 1 more domain) are the ones at ' +
  'risk: Exchange Online relays their mail only through a certificate-based inbound connector whose certificate ' +
  'names an accepted domain (since November 2023 the header From no longer counts), and refuses it otherwise ' +
  "with 550 5.7.64 (relay-audit's foreign-sender-domain); confirm yours with relay-audit check --accepted-domains " +
  '… --connectors … --certificate … (Get-AcceptedDomain | Export-Csv, Get-InboundConnector | ConvertTo-Json, the ' +
  "server's certificate as PEM). To find the refused messages, analyse the on-premises servers' message tracking " +
  'logs (MSGTRK*.LOG), or a message trace of the failures with its details (Get-MessageTraceV2 -Status Failed … | ' +
  'Export-Csv -NoTypeInformation -Encoding UTF8, and Get-MessageTraceDetailV2 … | Export-Csv for the refusal texts).';

const AUTO_FORWARDED =
  'looks like the Auto-forwarded messages report of the new Exchange admin center (Reports > Mail flow; its header ' +
  'on line 1: Forwarder, Forwarding type, Forward count…), which relay-audit does not read: it counts the ' +
  'forwarding Exchange Online itself did (inbox rules and SMTP forwarding of its mailboxes, its mail flow rules), ' +
  'never that of on-premises mailboxes (an inbox rule, ForwardingAddress or ForwardingSmtpAddress), whose ' +
  'forwarded copies Exchange Online refuses with 550 5.7.64 when your on-premises servers relay them ' +
  "(relay-audit's forwarding). To find those, analyse the on-premises servers' message tracking logs " +
  "(MSGTRK*.LOG in TransportRoles\\Logs\\MessageTracking): a mailbox's forwarding address is a REDIRECT row " +
  "there, an inbox rule's forward a RECEIVE row with Source MAILBOXRULE, and the refused copy a FAIL row with " +
  'its 550 5.7.64 text.';

/** The message of a source record without the list of known formats after it. */
function named(source: SourceRecord | undefined): string {
  return source?.errorMessage?.split('\nKnown formats:\n')[0] ?? '';
}

describe('mail flow reports of the new Exchange admin center', () => {
  it.each([
    [
      'the Non-accepted domain report as downloaded (UTF-8 with BOM, CRLF)',
      'non-accepted-domain-report.csv',
      NON_ACCEPTED,
    ],
    [
      'the Non-accepted domain report re-saved by a de-DE Excel (;)',
      'non-accepted-domain-report-de-DE.csv',
      NON_ACCEPTED,
    ],
    ['the Auto-forwarded messages report', 'auto-forwarded-messages-report.csv', AUTO_FORWARDED],
  ])('names %s, exit status 1', async (_name, file, message) => {
    const { status, source, findings } = await analyzeNoStore(
      `${DIR}/${file}`,
      '--accepted-domains',
      'contoso.com',
    );
    expect(status).toBe(1);
    expect(findings).toEqual([]);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT', rowsRead: 0 });
    expect(named(source)).toBe(`${DIR}/${file}: ${message}`);
  });

  it('names each report of a folder in the report, beside a log of the same run that is analysed as ever', async () => {
    const { status, out } = await cli(...FOLDER_AND_LOG);
    expect(status).toBe(1);
    const report = out.stderr;
    // The report wraps nothing: each message is one line under its file.
    expect(report).toContain(`${DIR}/non-accepted-domain-report.csv: ${NON_ACCEPTED}\n`);
    expect(report).toContain(`${DIR}/non-accepted-domain-report-de-DE.csv: ${NON_ACCEPTED}\n`);
    expect(report).toContain(`${DIR}/auto-forwarded-messages-report.csv: ${AUTO_FORWARDED}\n`);
    expect(report).not.toMatch(/is no header relay-audit knows|nothing to fix/);
    expect(report).toMatch(
      /^relay-audit: 4 files \(3 could not be analysed\), .* 4 relay refusals → 3 findings/m,
    );
    // The log's findings, as when it is analysed alone.
    const findings = out.stdout.split('\n').filter(Boolean);
    expect(findings).toHaveLength(3);
    const alone = await analyzeNoStore(POSTFIX, '--accepted-domains', 'contoso.com');
    expect(alone.status).toBe(0);
    expect(findings.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(
      alone.findings.map((f) => f.id),
    );
  });

  it('says the same in the --json summary of a folder', async () => {
    const { status, out } = await cli(...FOLDER_AND_LOG, '--json');
    expect(status).toBe(1);
    const { sources } = JSON.parse(out.stderr) as { sources: SourceRecord[] };
    const byName = new Map(sources.map((source) => [source.file.split('/').pop(), source]));
    expect(named(byName.get('non-accepted-domain-report-de-DE.csv'))).toBe(
      `${DIR}/non-accepted-domain-report-de-DE.csv: ${NON_ACCEPTED}`,
    );
    expect(named(byName.get('auto-forwarded-messages-report.csv'))).toBe(
      `${DIR}/auto-forwarded-messages-report.csv: ${AUTO_FORWARDED}`,
    );
    expect(byName.get('postfix-soft-bounce.log')).toMatchObject({ status: 'done', rejections: 4 });
  });
});
