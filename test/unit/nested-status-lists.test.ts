/**
 * splitStatuses divides a row's status list only where a new recipient's status begins, never inside
 * one reply: not inside `{…}`/`[…]`, not after a wrapper that introduces a nested reply (`->`,
 * `Original error:`, `smtp;`), not between the lines of a multi-line reply; and, given the row's
 * recipient join, only at separators of that kind. pairRowStatuses pairs a row's lists: at the row's
 * separator, else at any, else one shared status, never the whole list to everyone, nor a status
 * holding another recipient's refusal. The shapes it already read stay read.
 * Fixtures of the same shapes: test/fixtures/real-world/nested-status-lists/README.md.
 */
import { describe, expect, it } from 'vitest';
import { FORMATS, type RowSink } from '../../functions/core/analysis/formats/index.js';
import {
  listJoin,
  pairRowStatuses,
  splitStatuses,
} from '../../functions/core/analysis/formats/recipient-lists.js';
import { TimestampParser } from '../../functions/core/analysis/input/timestamps.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';

const ATTR36 =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const NOT_FOUND = '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup';
const ARROW =
  '451 4.4.397 Error communicating with target host. -> 451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to https://go.microsoft.com/fwlink/?linkid=865268';
const EXPIRED_ARROW = `550 4.4.7 QUEUE.Expired; message expired [{LED=${ARROW}};{MSG=};{FQDN=contoso-com.mail.protection.outlook.com};{IP=52.101.1.1};{LRT=11/28/2026 11:20:32 AM}]`;
const EXPIRED =
  '550 4.4.7 QUEUE.Expired; message expired [{LED=441 4.4.1 Error encountered: "Failed to connect. Winsock error code: 10060, Win32 error code: 10060."};{MSG=};{FQDN=x};{IP=52.101.1.1};{LRT=11/28/2026 9:15:03 PM}]';
const ORIGINAL = `451 4.4.0 Message failed to be made redundant. Original error: ${ATTR36}`;
const DIAGNOSTIC = `Diagnostic-Code: smtp; ${ATTR36}`;
const LEGACY = `550 5.0.0 Remote Server returned '<#5.0.0 smtp;${ATTR36}>'`;
const SAID = `550 5.0.0 host contoso-com.mail.protection.outlook.com[52.101.1.1] said: ${ATTR36}`;
const MULTILINE =
  '550-5.7.64 TenantAttribution; Relay Access Denied ATTR36 550 5.7.64 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const THREE_LINES = '550-5.7.1 Service unavailable, 550-5.7.1 client host blocked 550 5.7.1 [52.101.1.1]';
const NESTED = `451 4.4.0 Primary target IP address responded with: "451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35 [X.outlook.com]" Attempted failover to alternate host, but that did not succeed`;
const ENDS_SMTP = '550 5.7.64 TenantAttribution; Relay Access Denied SMTP';

const ONE_REPLY: [string, string][] = [
  ["Exchange's queue error around {LED=… -> …}", EXPIRED_ARROW],
  ['a DEFER status with "->" and no brackets', ARROW],
  ['"Original error:"', ORIGINAL],
  ['a DSN "Diagnostic-Code: smtp;"', DIAGNOSTIC],
  ['Exchange\'s legacy "#5.0.0 smtp;"', LEGACY],
  ['a Postfix-style "said:"', SAID],
  ['a multi-line reply kept in one cell', MULTILINE],
  ['a three-line reply', THREE_LINES],
];

describe('one status holding a nested or multi-line reply', () => {
  it.each(ONE_REPLY)('%s is one status, with or without the row join', (_name, status) => {
    expect(splitStatuses(status)).toEqual([status]);
    expect(splitStatuses(status, ';')).toEqual([status]);
    expect(splitStatuses(status, ' ')).toEqual([status]);
  });

  it.each(ONE_REPLY)("%s, one per recipient joined with ';', splits into one each", (_name, status) => {
    expect(splitStatuses(`${status};${status}`, ';')).toEqual([status, status]);
    expect(splitStatuses(`${status};${status}`)).toEqual([status, status]);
  });

  it("DSN diagnostic codes one per recipient: each 'Diagnostic-Code:' after a separator begins one", () => {
    const dsn = `Diagnostic-Code: smtp; ${NOT_FOUND};Diagnostic-Code: smtp; ${ATTR36}`;
    expect(splitStatuses(dsn, ';')).toEqual([`Diagnostic-Code: smtp; ${NOT_FOUND}`, DIAGNOSTIC]);
    expect(splitStatuses(dsn)).toEqual([`Diagnostic-Code: smtp; ${NOT_FOUND}`, DIAGNOSTIC]);
    const legacy = `#5.0.0 smtp;${NOT_FOUND};#5.0.0 smtp;${ATTR36}`;
    expect(splitStatuses(legacy, ';')).toEqual([`#5.0.0 smtp;${NOT_FOUND}`, `#5.0.0 smtp;${ATTR36}`]);
  });

  it("one DSN's fields are one status; the field that begins it begins each recipient's", () => {
    const block = `Action: failed; Status: 5.7.64; Diagnostic-Code: smtp; ${ATTR36}`;
    expect(splitStatuses(block, ';')).toEqual([block]);
    expect(splitStatuses(block)).toEqual([block]);
    expect(splitStatuses(`${block};${block}`, ';')).toEqual([block, block]);
    // `X-Status:` is not `Status:`.
    const other = `Status: 5.7.64; X-Status: 5.1.10 ${ATTR36}`;
    expect(splitStatuses(other, ';')).toEqual([other]);
  });

  it('a shared status is every recipient’s: never paired by position', () => {
    for (const [, status] of ONE_REPLY) {
      expect(pairRowStatuses(['noc@adatum.com', 'ops@adatum.com'], status, ';')).toEqual({
        paired: true,
        statuses: [status, status],
      });
    }
  });

  it('splits after a reply the next line does not continue (another code, or the last line)', () => {
    const other = '550-5.7.1 first line 550 5.7.1 last line';
    expect(splitStatuses(`${MULTILINE} ${other}`)).toEqual([MULTILINE, other]);
    expect(splitStatuses(`421-4.7.0 try later ${ATTR36}`)).toEqual(['421-4.7.0 try later', ATTR36]);
  });
});

describe('the row join decides where statuses split', () => {
  it("a tracking log's ';': a space before a reply inside a status does not divide it", () => {
    expect(splitStatuses(`${ATTR36} ${NOT_FOUND}`, ';')).toEqual([`${ATTR36} ${NOT_FOUND}`]);
    expect(splitStatuses(`${ATTR36} ${NOT_FOUND}`)).toEqual([ATTR36, NOT_FOUND]);
  });

  it('a status ending in "SMTP" before the next recipient’s is no diagnostic type', () => {
    expect(splitStatuses(`${ENDS_SMTP};${NOT_FOUND};${ENDS_SMTP}`, ';')).toEqual([
      ENDS_SMTP,
      NOT_FOUND,
      ENDS_SMTP,
    ]);
  });

  it('a stray bracket encloses nothing', () => {
    const cut = '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234';
    expect(splitStatuses(`${cut};${NOT_FOUND}`, ';')).toEqual([cut, NOT_FOUND]);
    expect(splitStatuses(`${NOT_FOUND}];${ATTR36}`, ';')).toEqual([`${NOT_FOUND}]`, ATTR36]);
  });

  const statuses = [ATTR36, NOT_FOUND, EXPIRED, NESTED, EXPIRED_ARROW, MULTILINE];
  it.each([
    ["-join ';' (tracking logs)", ';', ''],
    ["-join '; '", '; ', ''],
    ["-join ','", ',', ''],
    ["-join ' | '", ' | ', ''],
    ['[string] cast (space-joined)', ' ', ''],
    ['Out-String', '\r\n', '\r\n'],
  ])('the shapes already read: %s', (_name, join, trailing) => {
    const recipients = [
      'ap@litware.com',
      'old.account@contoso.com',
      'ar@litware.com',
      'a@x.com',
      'b@x.com',
      'c@x.com',
    ];
    const joined = listJoin(recipients.join(join) + trailing);
    expect(joined).toBe(join);
    expect(splitStatuses(statuses.join(join) + trailing, joined)).toEqual(statuses);
    expect(splitStatuses(statuses.join(join) + trailing)).toEqual(statuses);
  });

  it('listJoin: the separator between the first two recipients, outside quotes', () => {
    expect(listJoin('a@x.com;b@x.com')).toBe(';');
    expect(listJoin('{a@x.com, b@x.com}')).toBe(', ');
    expect(listJoin(' a@x.com ;; b@y.com')).toBe(' ;; ');
    expect(listJoin('"smith; john"@litware.com|b@x.com')).toBe('|');
    expect(listJoin('"a@x.com;b@y.com')).toBe(';');
    expect(listJoin('a@x.com')).toBeUndefined();
    expect(listJoin('a@x.com;')).toBeUndefined();
    expect(listJoin('')).toBeUndefined();
  });
});

const WRONG_REGION =
  '451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to https://go.microsoft.com/fwlink/?linkid=865268 [DB8P191MB0622.EURP191.PROD.OUTLOOK.COM]';
const THREE = ['ap@litware.com', 'old.account@contoso.com', 'AR@LITWARE.COM'];

describe('pairRowStatuses: recipients and statuses joined with different separators', () => {
  const statuses = [ATTR36, NOT_FOUND, ATTR36];
  it.each([
    ["recipients -join ';', statuses a [string] cast (space)", ';', ' '],
    ["recipients -join ';', statuses -join ', '", ';', ', '],
    ["recipients -join ';', statuses -join ' | '", ';', ' | '],
    ['recipients -join \';\', statuses -join "`r`n"', ';', '\r\n'],
    ["recipients -join ', ', statuses -join ';'", ', ', ';'],
    ["recipients a [string] cast, statuses -join ';'", ' ', ';'],
    ['recipients -join "`r`n", statuses -join \';\'', '\r\n', ';'],
  ])('%s: one status per recipient, by position', (_name, recipientJoin, statusJoin) => {
    const join = listJoin(THREE.join(recipientJoin));
    expect(pairRowStatuses(THREE, statuses.join(statusJoin), join)).toEqual({ paired: true, statuses });
  });

  it("two statuses cast to one string: each recipient's own, the first's refusal not lost", () => {
    expect(
      pairRowStatuses(['ap@litware.com', 'treasury@woodgrovebank.com'], `${ATTR36} ${WRONG_REGION}`, ';'),
    ).toEqual({
      paired: true,
      statuses: [ATTR36, WRONG_REGION],
    });
  });

  it("the row's own separator first: a space before a reply inside each status does not divide it", () => {
    const list = `${ATTR36} ${NOT_FOUND};${NOT_FOUND}`;
    expect(pairRowStatuses(['a@x.com', 'b@x.com'], list, ';')).toEqual({
      paired: true,
      statuses: [`${ATTR36} ${NOT_FOUND}`, NOT_FOUND],
    });
  });

  it.each(ONE_REPLY)('%s, one for the row, is every recipient’s whatever the join', (_name, status) => {
    for (const join of [';', ' ', ', ', '\r\n']) {
      expect(pairRowStatuses(['a@x.com', 'b@x.com'], status, join)).toEqual({
        paired: true,
        statuses: [status, status],
      });
    }
  });

  it('statuses that are neither one nor one per recipient do not pair: the list is never everyone’s', () => {
    expect(pairRowStatuses(THREE, `${ATTR36} ${NOT_FOUND}`, ';')).toEqual({ paired: false, count: 2 });
    expect(pairRowStatuses(THREE, `${ATTR36};${NOT_FOUND}`, ';')).toEqual({ paired: false, count: 2 });
    expect(pairRowStatuses([...THREE, 'd@x.com'], statuses.join(' '), ';')).toEqual({
      paired: false,
      count: 3,
    });
  });

  it('DSN statuses one per recipient pair; a count that differs does not', () => {
    const dsn = (status: string) => `Diagnostic-Code: smtp; ${status}`;
    expect(
      pairRowStatuses(['e1@litware.com', 'e2@adatum.com'], `${dsn(NOT_FOUND)};${dsn(ATTR36)}`, ';'),
    ).toEqual({
      paired: true,
      statuses: [dsn(NOT_FOUND), dsn(ATTR36)],
    });
    expect(pairRowStatuses(THREE, `${dsn(NOT_FOUND)};${dsn(ATTR36)}`, ';')).toEqual({
      paired: false,
      count: 2,
    });
  });

  it("one status holding another recipient's refusal of a different code is not shared", () => {
    const list = `${NOT_FOUND};Diagnostic-Code: smtp; ${ATTR36}`;
    expect(pairRowStatuses(['e1@litware.com', 'e2@adatum.com'], list, ';')).toEqual({
      paired: false,
      count: 1,
      refusals: ['5.1.10', '5.7.64'],
    });
    // The same code twice is no other recipient's: shared as before.
    const same = `${ATTR36};Diagnostic-Code: smtp; ${ATTR36}`;
    expect(pairRowStatuses(THREE, same, ';')).toMatchObject({ paired: true });
  });
});

/** One tracking-log row (`exchange-tracking-log`) or export row (`tracking-log-export`) through its adapter. */
function adapt(formatId: string, recipients: string, statuses: string) {
  const format = FORMATS.find((f) => f.id === formatId);
  if (!format) throw new Error(formatId);
  const raw = formatId === 'exchange-tracking-log';
  const headers = raw
    ? [
        'date-time',
        'source',
        'event-id',
        'message-id',
        'recipient-address',
        'recipient-status',
        'sender-address',
        'return-path',
      ]
    : [
        'Timestamp',
        'Source',
        'EventId',
        'MessageId',
        'Recipients',
        'RecipientStatus',
        'Sender',
        'ReturnPath',
      ];
  const events: TraceEvent[] = [];
  const messages: string[] = [];
  const sink: RowSink = {
    event: (event) => events.push(event),
    skip: (_line, _reason, message) => messages.push(message),
  };
  const adapter = format.createRowAdapter(headers, {
    file: 'x',
    timestamps: new TimestampParser(),
    isRelevant: () => true,
  });
  adapter.adapt(
    [
      raw ? '2026-11-28T11:20:32.118Z' : '11/28/2026 2:05:32 PM',
      'SMTP',
      'FAIL',
      '<m1@ex01.contoso.local>',
      recipients,
      statuses,
      'alerts@fabrikam.com',
      'alerts@fabrikam.com',
    ],
    6,
    sink,
  );
  return { events: events.map((e) => [e.recipient, e.recipientStatus]), messages };
}

describe('tracking rows', () => {
  it.each(['exchange-tracking-log', 'tracking-log-export'])(
    '%s: each recipient gets the shared nested status whole',
    (format) => {
      for (const [, status] of ONE_REPLY) {
        expect(adapt(format, 'noc@adatum.com;ops@adatum.com', status).events).toEqual([
          ['noc@adatum.com', status],
          ['ops@adatum.com', status],
        ]);
      }
    },
  );

  it.each(['exchange-tracking-log', 'tracking-log-export'])(
    "%s: lists already joined with ';' that do not pair are not blamed on the export",
    (format) => {
      const { events, messages } = adapt(format, 'a@x.com;b@x.com;c@x.com', `${ATTR36};${NOT_FOUND}`);
      expect(events).toEqual([]);
      expect(messages[0]).toMatch(/^3 recipients but 2 statuses: .*joined with ';'/);
      expect(messages[0]).not.toMatch(/re-export/);
    },
  );

  it.each(['exchange-tracking-log', 'tracking-log-export'])(
    '%s: one status holding refusals of different recipients is refused, each code named',
    (format) => {
      const { events, messages } = adapt(
        format,
        'e1@litware.com;e2@adatum.com',
        `${NOT_FOUND};Diagnostic-Code: smtp; ${ATTR36}`,
      );
      expect(events).toEqual([]);
      expect(messages[0]).toBe(
        "2 recipients but one status holding several recipients' refusals (5.1.10, 5.7.64): which refusal belongs to which recipient cannot be told",
      );
    },
  );

  it.each(['exchange-tracking-log', 'tracking-log-export'])(
    '%s: DSN statuses one per recipient are paired',
    (format) => {
      const dsn = (status: string) => `Diagnostic-Code: smtp; ${status}`;
      expect(
        adapt(format, 'e1@litware.com;e2@adatum.com', `${dsn(NOT_FOUND)};${dsn(ATTR36)}`).events,
      ).toEqual([
        ['e1@litware.com', dsn(NOT_FOUND)],
        ['e2@adatum.com', dsn(ATTR36)],
      ]);
    },
  );

  it('an export joined otherwise that does not pair is still told how to re-export', () => {
    const { messages } = adapt('tracking-log-export', 'a@x.com b@x.com c@x.com', `${ATTR36} ${NOT_FOUND}`);
    expect(messages[0]).toMatch(
      /^3 recipients but 2 statuses: .*re-export with @\{n='Recipients';e=\{\$_\.Recipients -join ';'\}\}/,
    );
  });
});
