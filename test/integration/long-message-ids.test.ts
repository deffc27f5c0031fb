/**
 * Message-IDs longer than any real one (an outside sender writes the header; Postfix logs it up to
 * 100 KB): bounded where events enter the analysis, so the findings are those of short IDs — and
 * V8, which hashes a string over 16,383 characters by its length alone, never sees one as a key.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ID_CHARS } from '../../functions/core/kernel/bounded-text.js';
import { analyzeFiles } from '../support/analyze-text.js';

const FIELDS =
  'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version';
const HEADER = [
  '#Software: Microsoft Exchange Server',
  '#Version: 15.02.1544.004',
  '#Log-Type: Message Tracking Log',
  '#Date: 2026-11-28T00:00:02.117Z',
  `#Fields: ${FIELDS}`,
];
const REFUSAL =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const MESSAGES = 200;

function at(row: number): string {
  const second = Math.floor(row / 10);
  const time = [Math.floor(second / 3600), Math.floor(second / 60) % 60, second % 60]
    .map((part) => String(part).padStart(2, '0'))
    .join(':');
  return `2026-11-28T${time}.${String(row % 1000).padStart(3, '0')}Z`;
}

/**
 * Two tracking logs: the first has the receipt and redirect of every other message (mail from
 * fabrikam.com to kateN@contoso.com forwarded to tailspintoys.com), the second every message's
 * refusal. `id(i)` is message i's Message-ID.
 */
function trackingLogs(id: (i: number) => string): { name: string; content: string }[] {
  const received: string[] = [];
  const refused: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const mid = `<${id(i)}>`;
    if (i % 2 === 0) {
      received.push(
        `${at(2 * i)},40.107.22.61,EUR05-VI1-obe.outbound.protection.outlook.com,10.0.1.11,EX01,08DF006B9F7584FC;${at(2 * i)};0,EX01\\Default EX01,SMTP,RECEIVE,${20000000000 + i},${mid},c32baaca-b014-5e34-911c-${String(i).padStart(12, '0')},kate${i}@contoso.com,To,22904,1,,,Offer,john@fabrikam.com,john@fabrikam.com,,Incoming,,40.107.22.61,10.0.1.11,S:DeliveryPriority=Normal,Email,849e7877-eaef-54b6-b8bc-${String(i).padStart(12, '0')},15.02.1544.004`,
        `${at(2 * i + 1)},,,10.0.1.11,EX01,,,ROUTING,REDIRECT,${20000000000 + i},${mid},cc6c97c0-a5eb-5db5-a8d4-${String(i).padStart(12, '0')},kate${i}@tailspintoys.com,,152873,1,kate${i}@contoso.com,,Offer,john@fabrikam.com,john@fabrikam.com,,Incoming,,,,S:DeliveryPriority=Normal,Email,c9abe9cb-fe61-5a2d-8512-${String(i).padStart(12, '0')},15.02.1544.004`,
      );
    }
    const when = at(2 * MESSAGES + i);
    refused.push(
      `${when},10.0.1.11,EX01.contoso.local,52.101.1.1,contoso-com.mail.protection.outlook.com,08DF006B9F7584FC;${when};0,EX01\\Outbound to Office 365,SMTP,FAIL,${20000000000 + i},${mid},c32baaca-b014-5e34-911c-${String(i).padStart(12, '0')},kate${i}@tailspintoys.com,${REFUSAL},22904,1,,,Offer,john@fabrikam.com,john@fabrikam.com,,Originating,,,10.0.1.11,S:DeliveryPriority=Normal,Email,d4de0664-a60b-52ee-94e5-${String(i).padStart(12, '0')},15.02.1544.004`,
    );
  }
  const file = (rows: string[]) => [...HEADER, ...rows, ''].join('\r\n');
  return [
    { name: 'MSGTRK2026112800-1.LOG', content: file(received) },
    { name: 'MSGTRK2026112800-2.LOG', content: file(refused) },
  ];
}

/** What a finding says, its Message-ID aside. */
function outcomes(findings: Awaited<ReturnType<typeof analyzeFiles>>['findings']) {
  return findings
    .map((finding) => [finding.recipient, finding.scenario, finding.code])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

describe('Message-IDs longer than any real one', () => {
  it('give the findings short ones give, each message still paired with its own receipt', async () => {
    const short = await analyzeFiles(trackingLogs((i) => `M${i}@mail.fabrikam.com`));
    // 17,000 characters, past V8's 16,383; all of one length, differing only at their end.
    const long = (i: number) => `${'a'.repeat(17_000)}${String(i).padStart(6, '0')}@mail.fabrikam.com`;
    const run = await analyzeFiles(trackingLogs(long), { chunk: 64 * 1024 });

    expect(short.findings).toHaveLength(MESSAGES);
    const scenarios = new Map<string, number>();
    for (const finding of short.findings)
      scenarios.set(finding.scenario, (scenarios.get(finding.scenario) ?? 0) + 1);
    expect(Object.fromEntries(scenarios)).toEqual({
      forwarding: MESSAGES / 2,
      'foreign-sender-domain': MESSAGES / 2,
    });
    expect(outcomes(run.findings)).toEqual(outcomes(short.findings));

    // Each finding keeps the start of its Message-ID, bounded, and one of its own.
    const ids = run.findings.map((finding) => finding.messageId);
    for (const id of ids) {
      expect(id.length).toBeLessThanOrEqual(MAX_ID_CHARS);
      expect(id.startsWith('a'.repeat(100))).toBe(true);
    }
    expect(new Set(ids).size).toBe(MESSAGES);
    expect(new Set(run.findings.map((finding) => finding.id)).size).toBe(MESSAGES);
  });
});
