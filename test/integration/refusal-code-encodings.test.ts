/**
 * Relay refusals on rows that are read — a tracking log's FAIL/DEFER, a trace detail's Fail,
 * Postfix's `status=bounced` — whose status code real text disguised (full-width digits and dots,
 * zero-width and other invisible characters, a quoted-printable soft break, URL-encoded IIS values)
 * are read as the refusals they are; a failure that holds the refusal's words but no status code that
 * is read fails the file as REFUSAL_NOT_READ, naming the line: never "no relay refusals". Rows that
 * only name the words (a subject, an inbound NDR's delivery, a header check) and look-alike codes
 * stay as they were. Fixtures: test/fixtures/real-world/refusal-code-encodings/README.md.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';

const DIR = join(import.meta.dirname, '../fixtures/real-world/refusal-code-encodings');
const HOST = 'AM0PR01MB1234.eurprd01.prod.exchangelabs.com';
const ATTR36 = '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36';

const run = (file: string) =>
  analyzeNoStore(join(DIR, file), '--accepted-domains', 'contoso.com', '--year', '2026');

/** What a test compares of a finding: line, scenario, codes, ATTR, and the refusal's text. */
const readAs = (finding: Finding) => [
  finding.source.line,
  finding.scenario,
  finding.smtpCode,
  finding.code,
  finding.attr,
  finding.rejectionText,
];

describe('a relay refusal whose code real text disguised', () => {
  it('reads every disguise of a tracking log as the refusal, with its code, ATTR and scenario', async () => {
    const { status, source, findings } = await run('MSGTRK-disguised-codes.LOG');
    expect(status, source.errorMessage).toBe(0);
    expect(source.skipped).toEqual([]);
    const refused = `${ATTR36} [${HOST}]`;
    expect(findings.map(readAs)).toEqual([
      [6, 'foreign-sender-domain', '550', '5.7.64', 'ATTR36', refused], // ５５０ ５.７.６４
      [7, 'foreign-sender-domain', '550', '5.7.64', 'ATTR36', refused], // ５５０ ５．７．６４
      [8, 'foreign-sender-domain', '550', '5.7.64', 'ATTR36', refused], // 5.7.\u200b64
      [9, 'foreign-sender-domain', '550', '5.7.64', 'ATTR36', refused], // 5.\u00ad7.64
      [10, 'foreign-sender-domain', '550', '5.7.64', 'ATTR36', refused], // 550\u00a05.7.64\u2060
      [11, 'foreign-sender-domain', '550', '5.7.64', 'ATTR36', refused], // 5.7.=\r\n64
      [
        13,
        'wrong-region',
        '451',
        '4.4.62',
        'ATTR35',
        `451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to https://go.microsoft.com/fwlink/?linkid=865268 [${HOST}]`,
      ],
    ]);
  });

  it.each([
    ['message-trace-detail-fullwidth.csv', 3, ATTR36],
    [
      'postfix-fullwidth-said.log',
      3,
      `host contoso-com.mail.protection.outlook.com[52.101.1.1] said: ${ATTR36} (in reply to RCPT TO command)`,
    ],
    ['iis-smtp-url-encoded.log', 10, ATTR36],
  ])('reads %s as the refusal on line %i', async (file, line, text) => {
    const { status, source, findings } = await run(file);
    expect(status, source.errorMessage).toBe(0);
    expect(source.skipped).toEqual([]);
    expect(findings.map(readAs)).toEqual([[line, 'foreign-sender-domain', '550', '5.7.64', 'ATTR36', text]]);
  });
});

describe('a failure that holds relay-refusal words but no status code that is read', () => {
  it.each([
    ['MSGTRK-refusal-words-without-code.LOG', 6, 'TenantAttribution; Relay Access Denied ATTR36 ['],
    [
      'message-trace-detail-words-without-code.csv',
      3,
      "The message couldn't be delivered. TenantAttribution",
    ],
    ['postfix-reply-without-enhanced-code.log', 3, 'said: 550 TenantAttribution; Relay Access Denied'],
  ])('fails %s as REFUSAL_NOT_READ naming line %i and what it holds', async (file, line, seen) => {
    const { status, source, findings } = await run(file);
    expect(status).toBe(1);
    expect(findings).toEqual([]);
    expect(source).toMatchObject({ status: 'failed', errorCode: 'REFUSAL_NOT_READ' });
    expect(source.skipped).toEqual([expect.objectContaining({ line, reason: 'REFUSAL_NOT_READ' })]);
    const message = source.skipped[0]?.message ?? '';
    expect(message).toMatch(
      /^its FAIL status holds relay-refusal text \(TenantAttribution\) but no enhanced status code that relay-audit reads \(such as 5\.7\.64\): "/,
    );
    expect(message).toContain(seen);
    expect(source.errorMessage).toContain(`: line ${line} could not be read — its FAIL status holds`);
    expect(source.errorMessage).toContain('Analyse the log or export as the server wrote it');
  });
});

describe('rows that name the refusal without being one', () => {
  it.each([
    // A subject, a 5.1.1 failure, an inbound NDR's delivery, an IP 10.5.7.64, a build 15.7.64.0, 5.7.641.
    'MSGTRK-not-refusals.LOG',
    // A header_checks warning on a subject that quotes the refusal, the message then sent.
    'postfix-header-check-subject.log',
  ])('reads %s as before: no finding, nothing skipped', async (file) => {
    const { status, source, findings } = await run(file);
    expect(status, source.errorMessage).toBe(0);
    expect(findings).toEqual([]);
    expect(source.skipped).toEqual([]);
    expect(source.rowsAnalysed).toBe(source.rowsRead);
  });
});
