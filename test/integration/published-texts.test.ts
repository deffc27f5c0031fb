/**
 * Refusal texts admins published (forum threads, Microsoft KB articles, GitHub issues), each kept
 * verbatim inside the shape of the tool that logged it, through the CLI in-process with
 * `--no-store --json`. The fixtures and their sources: test/fixtures/real-world/published-texts/README.md.
 * What is checked per file: the exit status, how the file was read, and per finding its status code,
 * scenario and ATTR; the look-alikes must give no finding and count no refusal.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { cli } from '../support/capture-output.js';

const DIR = 'test/fixtures/real-world/published-texts';

/** The part of the `--json` summary (stderr) these tests read. */
interface Summary {
  sources: SourceRecord[];
  notAnalysed: { file: string; reason: string; mayHoldRefusals?: true }[];
  findingsByScenario: Record<string, number>;
  rejections: number;
  unclassified: number;
}

interface Run {
  status: number;
  summary: Summary;
  findings: Finding[];
}

/** `analyze <DIR/path> --accepted-domains <domains> --no-store --json`, in-process. */
async function analyse(path: string, domains: string): Promise<Run> {
  const { status, out } = await cli(
    'analyze',
    `${DIR}/${path}`,
    '--accepted-domains',
    domains,
    '--no-store',
    '--json',
  );
  const findings = out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding);
  return { status, summary: JSON.parse(out.stderr) as Summary, findings };
}

/** A file read whole: every row analysed, none skipped (a skipped row could hide a refusal). */
function readWhole(source: SourceRecord | undefined, format: string): void {
  expect(source).toMatchObject({ status: 'done', format, rowsSkipped: 0, skippedByReason: {} });
  expect(source?.rowsRead).toBe(source?.rowsAnalysed);
}

/** What a test compares of a finding: where, for whom, and how it was classified. */
type Row = [line: number, recipient: string, code: string, scenario: string, attr: string | undefined];

function row(finding: Finding): Row {
  return [finding.source.line, finding.recipient, finding.code, finding.scenario, finding.attr];
}

/**
 * Relay-attribution refusals (5.7.64 / 4.4.62): file, accepted domains (the tenant the poster's
 * sender belongs to), format it is read as, and the findings in output order.
 */
const REFUSALS: [file: string, domains: string, format: string, findings: Row[]][] = [
  // Q&A 304252: Exchange 2010 tracking log, FAIL then the DSN it caused.
  [
    'tracking-ex2010-qa304252.MSGTRK20210308-1.LOG',
    'mydomain.com',
    'exchange-tracking-log',
    [[6, 'externaluser_emailaddress@keyman.com', '5.7.64', 'connector-mismatch', undefined]],
  ],
  [
    'tracking-ex2010-led-wrapper.MSGTRK20210308-1.LOG',
    'mydomain.com',
    'exchange-tracking-log',
    [[6, 'externaluser_emailaddress@keyman.com', '5.7.64', 'connector-mismatch', undefined]],
  ],
  // Q&A 1657224: the external out-of-office (null P1, "Automatic reply:"), `TenantAttribution:`.
  [
    'tracking-oof-colon-qa1657224.MSGTRK2024041708-1.LOG',
    'contoso.com',
    'exchange-tracking-log',
    [[7, 'partner@fabrikam.com', '5.7.64', 'ndr', undefined]],
  ],
  // Q&A 1631796: `region, ATTR35.` with a comma.
  [
    'tracking-attr35-comma-qa1631796.MSGTRK2024032514-1.LOG',
    'contoso.com',
    'exchange-tracking-log',
    [[6, 'ap@litware.com', '4.4.62', 'wrong-region', 'ATTR35']],
  ],
  // The same status in an Export-Csv whose two recipients are joined by `, `, `,` and ` `.
  [
    'export-csv-attr35-joined-recipients.csv',
    'contoso.com',
    'tracking-log-export',
    [
      [3, 'ap@litware.com', '4.4.62', 'wrong-region', 'ATTR35'],
      [3, 'ar@litware.com', '4.4.62', 'wrong-region', 'ATTR35'],
      [4, 'ap@litware.com', '4.4.62', 'wrong-region', 'ATTR35'],
      [4, 'ar@litware.com', '4.4.62', 'wrong-region', 'ATTR35'],
      [5, 'ap@litware.com', '4.4.62', 'wrong-region', 'ATTR35'],
      [5, 'ar@litware.com', '4.4.62', 'wrong-region', 'ATTR35'],
    ],
  ],
  // audiobookshelf #4573: `[ValidationStatus of '' is EmptyCertificate]` and the 2023+ trailer.
  [
    'postfix-emptycert-audiobookshelf4573.mail.log',
    'contoso.com',
    'postfix-log',
    [[6, 'listener@gmail.com', '5.7.64', 'connector-mismatch', undefined]],
  ],
  [
    'iis-smtp-emptycert.ex161201.log',
    'servername.com',
    'iis-smtp-log',
    [[18, 'customer@adatum.com', '5.7.64', 'connector-mismatch', undefined]],
  ],
  [
    'send-protocol-emptycert.SEND20240124-1.LOG',
    'contoso.com',
    'exchange-protocol-log',
    [[24, 'supplier@litware.com', '5.7.64', 'connector-mismatch', undefined]],
  ],
  // ictfax #76: P1 fax@host.domain.com.au, a subdomain of the accepted domain.com.au.
  [
    'exim-ictfax76.mainlog',
    'domain.com.au',
    'exim-log',
    [[2, 'customer@bigpond.com', '5.7.64', 'foreign-sender-domain', undefined]],
  ],
  [
    'exim-ictfax76-pipelined.mainlog',
    'domain.com.au',
    'exim-log',
    [[2, 'customer@bigpond.com', '5.7.64', 'foreign-sender-domain', undefined]],
  ],
  // KB 3212877: IIS SMTP relay `Relay Access Denied SMTP` after STARTTLS.
  [
    'iis-smtp-kb3212877.ex161201.log',
    'servername.com',
    'iis-smtp-log',
    [[18, 'customer@adatum.com', '5.7.64', 'connector-mismatch', undefined]],
  ],
  // The same relay passing on an NDR (MAIL FROM:<>) refused with KB 3169958's ATTR36 text.
  [
    'iis-smtp-ndr-attr36-kb3169958.ex161201.log',
    'servername.com',
    'iis-smtp-log',
    [[18, 'customer@adatum.com', '5.7.64', 'ndr', 'ATTR36']],
  ],
  // KB 4051495: `Relay Access Denied SMTP.` after the article's certificate lines.
  [
    'send-protocol-kb4051495.SEND20240124-1.LOG',
    'contoso.com',
    'exchange-protocol-log',
    [[24, 'supplier@litware.com', '5.7.64', 'connector-mismatch', undefined]],
  ],
  // KB 3169958: `ATTR36. For more information, see KB 3169958` for a foreign P1.
  [
    'tracking-attr36-kb3169958.MSGTRK2017070609-1.LOG',
    'contoso.com',
    'exchange-tracking-log',
    [[6, 'customer@adatum.com', '5.7.64', 'foreign-sender-domain', 'ATTR36']],
  ],
  // KB 4019940: the ATTR36 text for a foreign P1; then an accepted P1 with a subdomain certificate.
  [
    'send-protocol-attr36-kb4019940.SEND20240124-1.LOG',
    'contoso.com',
    'exchange-protocol-log',
    [[24, 'supplier@litware.com', '5.7.64', 'foreign-sender-domain', 'ATTR36']],
  ],
  [
    'send-protocol-subdomain-cert-kb4019940.SEND20240124-1.LOG',
    'contoso.com',
    'exchange-protocol-log',
    [[24, 'supplier@litware.com', '5.7.64', 'connector-mismatch', undefined]],
  ],
  // The wrong-region text of the multi-geo / wrong-region articles, with and without the trailer.
  [
    'postfix-attr35-trailer.mail.log',
    'contoso.com',
    'postfix-log',
    [[2, 'auditor@woodgrovebank.com', '4.4.62', 'wrong-region', 'ATTR35']],
  ],
  [
    'postfix-attr35-no-trailer.mail.log',
    'contoso.com',
    'postfix-log',
    [[2, 'auditor@woodgrovebank.com', '4.4.62', 'wrong-region', 'ATTR35']],
  ],
];

/** Published look-alikes that are no relay-attribution refusal: file, accepted domains, format. */
const LOOK_ALIKES: [file: string, domains: string, format: string][] = [
  ['postfix-attr38-rate-limit-mailu3013.mail.log', 'example.org', 'postfix-log'], // 4.5.3 ATTR38, 4.7.651
  ['postfix-server-busy-sisimai.mail.log', 'contoso.com', 'postfix-log'], // 4.7.500, 4.7.700
  ['postfix-541-spamhaus.mail.log', 'contoso.com', 'postfix-log'], // 5.4.1 Access denied, 5.7.1 Spamhaus
  ['postfix-tls.mail.log', 'contoso.com', 'postfix-log'], // 4.7.0 TLS channel, dsn=4.7.4
  ['postfix-750-541-568-551.mail.log', 'contoso.com', 'postfix-log'], // 5.7.750, 5.4.1, 5.7.68, 5.7.51
  ['postfix-auth-busy-attr14-sendas.mail.log', 'contoso.com', 'postfix-log'], // 5.7.139, 5.7.57, ATTR14, 5.7.60
  ['sendmail-57606-sisimai.maillog', 'nyaan.example.ed.jp', 'sendmail-log'], // 5.7.606 banned IP
  ['tracking-edge-5754-qa329607.MSGTRK2021032410-1.LOG', 'contoso.com', 'exchange-tracking-log'], // 5.7.54
  ['tracking-irr-444-attr5.MSGTRK2024050211-1.LOG', 'contoso.com', 'exchange-tracking-log'], // 4.4.4 ATTR5
];

/**
 * Files relay-audit does not read that hold a relay refusal: file, accepted domains, the line the
 * failure must name.
 */
const UNREAD_REFUSALS: [file: string, domains: string, line: number][] = [
  ['ndr-pasted-qa304252.txt', 'mydomain.com', 1],
  ['format-list-tracking-qa1657224.txt', 'contoso.com', 16],
  ['app-log-nodemailer-audiobookshelf4573.log', 'contoso.com', 1],
  ['app-log-php-ictfax76.log', 'domain.com.au', 1],
  ['app-log-odoo-ventor.log', 'contoso.com', 2],
];

/** No file here may count a refusal the findings do not show, nor leave one unclassified. */
function countsOnly(summary: Summary, findings: number): void {
  expect(summary.rejections).toBe(findings);
  expect(summary.unclassified).toBe(0);
  expect(Object.values(summary.findingsByScenario).reduce((sum, n) => sum + n, 0)).toBe(findings);
}

describe('published relay-attribution refusals are findings', () => {
  it.each(REFUSALS)('%s', async (file, domains, format, expected) => {
    const { status, summary, findings } = await analyse(file, domains);
    expect(status).toBe(0);
    expect(summary.sources).toHaveLength(1);
    readWhole(summary.sources[0], format);
    expect(summary.sources[0]?.rejections).toBe(expected.length);
    expect(findings.map(row)).toEqual(expected);
    countsOnly(summary, expected.length);
  });
});

describe('published look-alikes are no finding and no refusal', () => {
  it.each(LOOK_ALIKES)('%s', async (file, domains, format) => {
    const { status, summary, findings } = await analyse(file, domains);
    expect(status).toBe(0);
    expect(summary.sources).toHaveLength(1);
    readWhole(summary.sources[0], format);
    expect(summary.sources[0]?.rejections).toBe(0);
    expect(summary.sources[0]?.unexplainedFailures).toBeUndefined();
    expect(findings).toEqual([]);
    countsOnly(summary, 0);
  });

  it('a message trace with its trace detail: 5.7.708 and 5.7.367 explain both failures', async () => {
    const { status, summary, findings } = await analyse('trace-5708-57367', 'contoso.com');
    expect(status).toBe(0);
    const byFormat = Object.fromEntries(summary.sources.map((source) => [source.format, source]));
    readWhole(byFormat['message-trace'], 'message-trace');
    readWhole(byFormat['message-trace-detail'], 'message-trace-detail');
    for (const source of summary.sources) {
      expect(source.rejections).toBe(0);
      expect(source.unexplainedFailures).toBeUndefined();
    }
    expect(summary.notAnalysed).toEqual([]);
    expect(findings).toEqual([]);
    countsOnly(summary, 0);
  });

  it('a receive protocol log (5.7.54 refused by on-premises Exchange) is not read: send logs are', async () => {
    const { status, summary, findings } = await analyse(
      'receive-protocol-5754-qa305565.RECV2021030910-1.LOG',
      'constoso.com',
    );
    expect(status).toBe(1);
    expect(summary.sources[0]).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT', rowsRead: 0 });
    expect(summary.sources[0]?.errorMessage).toMatch(
      /SMTP receive protocol log.*analyse the send protocol log/,
    );
    // 5.7.54 is no relay refusal: nothing to name as one.
    expect(summary.sources[0]?.errorMessage).not.toMatch(/holds a relay refusal/);
    expect(findings).toEqual([]);
    countsOnly(summary, 0);
  });
});

describe('published refusals in shapes relay-audit does not read fail the run, naming the line', () => {
  it.each(UNREAD_REFUSALS)('%s', async (file, domains, line) => {
    const { status, summary, findings } = await analyse(file, domains);
    expect(status).toBe(1);
    expect(summary.sources).toHaveLength(1);
    expect(summary.sources[0]).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT', rowsRead: 0 });
    expect(summary.sources[0]?.errorMessage).toContain(`Line ${line} holds a relay refusal`);
    expect(findings).toEqual([]);
    countsOnly(summary, 0);
  });

  // Neither can ever be read: the message says what to give instead.
  it.each([
    [
      'format-list-tracking-qa1657224.txt',
      'contoso.com',
      /looks like Get-MessageTrackingLog output shown with Format-List .*Run the same Get-MessageTrackingLog command with \| Export-Csv -NoTypeInformation -Encoding UTF8 in place of \| Format-List/,
    ],
    [
      'ndr-pasted-qa304252.txt',
      'mydomain.com',
      /looks like a non-delivery report \(NDR\) .*the message tracking logs of ServerName\.MyDomain\.com, the NDR's generating server .*an Exchange Online message trace of that time \(Get-MessageTraceV2 /,
    ],
  ])('%s: says what to analyse instead', async (file, domains, advice) => {
    const { summary } = await analyse(file, domains);
    expect(summary.sources[0]?.errorMessage).toMatch(advice);
    expect(summary.sources[0]?.errorMessage).not.toMatch(/unknown format|is no header relay-audit knows/);
  });

  it('in a folder, the Format-List output is named as unread while the mail log beside it is read', async () => {
    const { status, summary, findings } = await analyse('folder-format-list-and-postfix', 'contoso.com');
    expect(status).toBe(1);
    expect(summary.sources).toHaveLength(1);
    readWhole(summary.sources[0], 'postfix-log');
    expect(summary.sources[0]?.file).toMatch(/mail\.log$/);
    expect(summary.notAnalysed).toEqual([
      {
        file: expect.stringMatching(/folder-format-list-and-postfix\/fails\.txt$/),
        reason: expect.stringContaining('(5.7.64 on line 16)'),
        mayHoldRefusals: true,
      },
    ]);
    expect(findings).toEqual([]);
    countsOnly(summary, 0);
  });
});
