/**
 * A send protocol log session cut in two by the log's rotation: EHLO, STARTTLS and the certificate,
 * the message, MAIL FROM and the pipelined RCPT TO rows in SEND2026112801-1.LOG, the answers —
 * `550 5.7.64` — in SEND2026112801-2.LOG. Analysed together, in either order, the refusals are the
 * findings the whole session in one file gives; no file warns of a start no file of the run has.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';

const FIELDS =
  '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';

/** The `#` lines Exchange starts each SEND*.LOG with. */
function preamble(date: string): string[] {
  return [
    '#Software: Microsoft Exchange Server',
    '#Version: 15.02.1544.004',
    '#Log-type: SMTP Send Protocol Log',
    `#Date: ${date}`,
    FIELDS,
  ];
}

/** One row as Exchange writes it: a cell with a comma or a quote is quoted. */
function row(
  at: string,
  session: string,
  sequence: number,
  local: string,
  event: string,
  data = '',
  context = '',
): string {
  const quote = (value: string) => (/[",]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const endpoint = event === '*' && context === 'attempting to connect' ? '' : local;
  return `${at},Outbound to Office 365,${session},${sequence},${endpoint},52.101.1.1:25,${event},${quote(data)},${quote(context)}`;
}

const REFUSED =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const HELLO =
  '250  AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.25] SIZE 157286400 PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS 8BITMIME BINARYMIME CHUNKING SMTPUTF8';
/** The NDR whose session the rotation cuts. */
const NDR_SESSION = '08DF2A7C11E4B9F3';
const NDR_ID = 'B1D0E2F3A4C5B6D7E8F90A1B2C3D4E5F@EX01.contoso.local';

/** A session delivered without trouble, from connect to disconnect. */
function delivered(session: string, at: (ms: number) => string, messageId: string, to: string): string[] {
  const local = '10.0.1.11:52140';
  let sequence = 0;
  const r = (ms: number, event: string, data = '', context = '') =>
    row(at(ms), session, sequence++, local, event, data, context);
  return [
    r(0, '*', '', 'attempting to connect'),
    r(20, '+'),
    r(41, '<', '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready'),
    r(42, '>', 'EHLO mail.contoso.com'),
    r(60, '<', HELLO),
    r(61, '*', '', `sending message with RecordId 22157931190 and InternetMessageId <${messageId}>`),
    r(61, '>', 'MAIL FROM:<sales@contoso.com> SIZE=9120'),
    r(61, '>', `RCPT TO:<${to}>`),
    r(80, '<', '250 2.1.0 Sender OK'),
    r(81, '<', '250 2.1.5 Recipient OK'),
    r(82, '>', 'BDAT 9120 LAST'),
    r(140, '<', `250 2.6.0 <${messageId}> [InternalId=1, Hostname=AM0PR01MB1234] Queued mail for delivery`),
    r(141, '>', 'QUIT'),
    r(150, '<', '221 2.0.0 Service closing transmission channel'),
    r(151, '-', '', 'Local'),
  ];
}

/** The NDR session up to its pipelined RCPT TO rows (23:59:59.8xx), then its answers (00:00:00.0xx). */
function ndrSession(): { start: string[]; end: string[] } {
  const local = '10.0.1.11:52141';
  let sequence = 0;
  const start = (ms: number, event: string, data = '', context = '') =>
    row(
      `2026-11-28T23:59:59.${String(ms).padStart(3, '0')}Z`,
      NDR_SESSION,
      sequence++,
      local,
      event,
      data,
      context,
    );
  const end = (ms: number, event: string, data = '', context = '') =>
    row(
      `2026-11-29T00:00:00.${String(ms).padStart(3, '0')}Z`,
      NDR_SESSION,
      sequence++,
      local,
      event,
      data,
      context,
    );
  return {
    start: [
      start(801, '*', '', 'attempting to connect'),
      start(822, '+'),
      start(850, '<', '220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready'),
      start(851, '>', 'EHLO mail.contoso.com'),
      start(872, '<', HELLO),
      start(873, '>', 'STARTTLS'),
      start(894, '<', '220 2.0.0 SMTP server ready'),
      start(905, '*', '', 'Sending certificate'),
      start(905, '*', 'CN=mail.contoso.com, O=Contoso Ltd, L=Seattle, S=WA, C=US', 'Certificate subject'),
      start(
        905,
        '*',
        'CN=Fabrikam TLS RSA CA 2026, O=Fabrikam Trust Services, C=US',
        'Certificate issuer name',
      ),
      start(905, '*', '4F0A9C2E71B35D8826E0', 'Certificate serial number'),
      start(905, '*', '3C6E1F0B9A42D8E57C1B0F6A2D94E3B8C5A7F102', 'Certificate thumbprint'),
      start(905, '*', 'mail.contoso.com;autodiscover.contoso.com', 'Certificate alternate names'),
      start(918, '*', '', 'Received certificate'),
      start(918, '*', 'CN=mail.protection.outlook.com, O=Microsoft Corporation, C=US', 'Certificate subject'),
      start(
        918,
        '*',
        'mail.protection.outlook.com;*.mail.protection.outlook.com',
        'Certificate alternate names',
      ),
      start(919, '>', 'EHLO mail.contoso.com'),
      start(940, '<', HELLO.replace(' STARTTLS', '')),
      start(
        941,
        '*',
        `${NDR_SESSION};2026-11-28T23:59:59.941Z;0`,
        `sending message with RecordId 22157931204 and InternetMessageId <${NDR_ID}>`,
      ),
      start(941, '>', 'MAIL FROM:<> SIZE=14820'),
      start(941, '>', 'RCPT TO:<orders@fabrikam.com>'),
      start(941, '>', 'RCPT TO:<Billing@Fabrikam.com>'),
    ],
    end: [
      end(12, '<', '250 2.1.0 Sender OK'),
      end(13, '<', REFUSED),
      end(14, '<', REFUSED),
      end(15, '>', 'QUIT'),
      end(31, '<', '221 2.0.0 Service closing transmission channel'),
      end(32, '-', '', 'Local'),
    ],
  };
}

const ndr = ndrSession();
const before = (ms: number) => `2026-11-28T23:59:58.${String(ms).padStart(3, '0')}Z`;
const after = (ms: number) => `2026-11-29T00:00:00.${String(500 + ms).padStart(3, '0')}Z`;
/** SEND2026112801-1.LOG: a session delivered, then the NDR session up to its RCPT TO rows, when the log was full. */
const first = [
  ...preamble('2026-11-28T23:00:00.004Z'),
  ...delivered('08DF2A7C11E4B9F2', before, 'C9A1@EX01.contoso.local', 'kate@litware.com'),
  ...ndr.start,
].join('\r\n');
/** SEND2026112801-2.LOG: the NDR session's answers, then another session. */
const second = [
  ...preamble('2026-11-29T00:00:00.011Z'),
  ...ndr.end,
  ...delivered('08DF2A7C11E4B9F4', after, 'C9A2@EX01.contoso.local', 'tom@litware.com'),
].join('\r\n');
/** The same rows, had the log not rotated. */
const whole = [
  ...preamble('2026-11-28T23:00:00.004Z'),
  ...delivered('08DF2A7C11E4B9F2', before, 'C9A1@EX01.contoso.local', 'kate@litware.com'),
  ...ndr.start,
  ...ndr.end,
  ...delivered('08DF2A7C11E4B9F4', after, 'C9A2@EX01.contoso.local', 'tom@litware.com'),
].join('\r\n');

const FIRST: TextFile = { name: 'SEND2026112801-1.LOG', content: first };
const SECOND: TextFile = { name: 'SEND2026112801-2.LOG', content: second };

/** A finding without where it was read (the file and line differ by construction). */
function placeless(finding: Finding) {
  const { source: _source, evidence, ...rest } = finding;
  return { ...rest, evidence: evidence.filter((item) => item.kind !== 'protocol-log') };
}

describe('a send protocol log session that goes on in the next SEND file', () => {
  for (const order of ['in order', 'newest first'] as const) {
    it(`gives the findings of the whole session (${order})`, async () => {
      const one = await analyzeFiles([{ name: 'SEND2026112801-1.LOG', content: whole }]);
      const split = await analyzeFiles(order === 'in order' ? [FIRST, SECOND] : [SECOND, FIRST]);

      expect(one.findings.map((f) => [f.messageId, f.recipient, f.returnPath, f.scenario])).toEqual([
        [NDR_ID, 'orders@fabrikam.com', '', 'ndr'],
        [NDR_ID, 'billing@fabrikam.com', '', 'ndr'],
      ]);
      expect(split.findings.map(placeless)).toEqual(one.findings.map(placeless));
      // The certificate presented in the first file is the evidence of the refusals in the second.
      expect(split.findings[0]?.evidence.map((item) => item.kind)).toEqual([
        'null-return-path',
        'protocol-log',
        'presented-certificate',
        'certificate-accepted-domain',
      ]);
      expect(split.findings.map((f) => [f.source.file, f.evidence[1]?.detail])).toEqual([
        [
          'SEND2026112801-2.LOG',
          `the send protocol log SEND2026112801-2.LOG shows the refusal (line 7, session ${NDR_SESSION})`,
        ],
        [
          'SEND2026112801-2.LOG',
          `the send protocol log SEND2026112801-2.LOG shows the refusal (line 8, session ${NDR_SESSION})`,
        ],
      ]);
      // The start of the session was found: no file of the run says it is missing.
      expect(split.sources.flatMap((s) => s.notes ?? [])).toEqual([]);
      expect(split.result.duplicates).toBe(0);
    });
  }

  it('still says so when no file of the run has the start of the session', async () => {
    const { findings, sources } = await analyzeFiles([SECOND]);
    // Without the first file: neither the recipients, the sender nor the certificate are known.
    expect(findings.map((f) => [f.recipient, f.returnPath, f.evidence.at(-1)?.kind])).toEqual([
      ['', undefined, 'session-start-missing'],
      ['', undefined, 'session-start-missing'],
    ]);
    expect(sources[0]?.notes?.map((note) => note.code)).toEqual(['SESSIONS_JOINED_LATE']);
    expect(sources[0]?.notes?.[0]?.message).toMatch(
      /^2 refusals are in SMTP sessions that began before this log .*no file has its start, or a log between is missing/,
    );
  });

  describe('with the tracking log of the same refusals', () => {
    const tracking: TextFile = {
      name: 'MSGTRK2026112900-1.LOG',
      content: [
        '#Software: Microsoft Exchange Server',
        '#Version: 15.02.1544.004',
        '#Log-Type: Message Tracking Log',
        '#Date: 2026-11-29T00:00:00.402Z',
        '#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version',
        `2026-11-29T00:00:00.033Z,10.0.1.11,EX01.contoso.local,52.101.1.1,contoso-com.mail.protection.outlook.com,${NDR_SESSION};2026-11-29T00:00:00.033Z;0,EX01\\Outbound to Office 365,SMTP,FAIL,22157931204,<${NDR_ID}>,5d3c9f0e-1b2a-5c4d-8e7f-6a5b4c3d2e1f,orders@fabrikam.com;billing@fabrikam.com,${REFUSED};${REFUSED},14820,2,,,Undeliverable: Order 4471,MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com,<>,,Originating,,,10.0.1.11,S:DeliveryPriority=Normal;S:AccountForest=contoso.local,Email,7e6d5c4b-3a29-5817-a6b5-c4d3e2f1a0b9,15.02.1544.004`,
      ].join('\r\n'),
    };

    const orders: [string, TextFile[]][] = [
      ['SEND logs in order, then the tracking log', [FIRST, SECOND, tracking]],
      ['the tracking log, then SEND logs in order', [tracking, FIRST, SECOND]],
      ['SEND logs newest first, then the tracking log', [SECOND, FIRST, tracking]],
      ['the newer SEND log, the tracking log, the older', [SECOND, tracking, FIRST]],
    ];
    for (const [name, files] of orders) {
      it(`is one finding per refusal, with the certificate (${name})`, async () => {
        const one = await analyzeFiles([{ name: 'SEND2026112801-1.LOG', content: whole }]);
        const { findings, result } = await analyzeFiles(files);
        expect(findings.map((f) => f.id).sort()).toEqual(one.findings.map((f) => f.id).sort());
        expect(result.findingsByScenario.ndr).toBe(2);
        expect(result.duplicates).toBe(2);
        for (const finding of findings) {
          expect(finding.evidence.map((item) => item.kind)).toContain('presented-certificate');
        }
      });
    }

    it('counts each refusal once when the tracking log comes first and the session start last', async () => {
      const one = await analyzeFiles([{ name: 'SEND2026112801-1.LOG', content: whole }]);
      const { findings, result, sources } = await analyzeFiles([tracking, SECOND, FIRST]);
      expect(findings.map((f) => f.id).sort()).toEqual(one.findings.map((f) => f.id).sort());
      expect(result.findingsByScenario.ndr).toBe(2);
      // The tracking log's findings were classified before the session was known: the file says so.
      expect(sources.find((s) => s.file === SECOND.name)?.notes?.map((note) => note.code)).toEqual([
        'EVIDENCE_NOT_JOINED',
      ]);
    });
  });
});
