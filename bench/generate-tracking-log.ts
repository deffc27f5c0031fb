/**
 * Deterministic generator of a raw Exchange Server 2019 message tracking log (`MSGTRK*.LOG`) for the
 * benchmark. Same (targetBytes, seed) → byte-identical file.
 *
 * Shape (see docs/domain.md §3 format 1): UTF-8 with BOM, CRLF, `#Software/#Version/#Log-Type/#Date/#Fields`
 * preamble, 30 comma-separated fields, values quoted CSV-style when they contain `,` `"` CR or LF.
 * Events of concurrent messages interleave in timestamp order.
 *
 * Content: ordinary mail flows (SUBMIT/RECEIVE/AGENTINFO/DELIVER for internal recipients, SEND to the
 * Exchange Online smart host for external ones, inbound internet mail), about 10 % relay-rejection rows
 * (`FAIL` with `550 5.7.64 TenantAttribution; Relay Access Denied …` and `DEFER` with `451 4.4.62 … ATTR35`)
 * across the documented scenarios (foreign sender domain, NDR / out-of-office with null P1, forwarding with
 * a preceding `REDIRECT`, connector mismatch without ATTR36, wrong region), and ordinary failures
 * (5.1.10, 5.7.26, 4.4.7) that are not relay rejections.
 *
 * Also runnable on its own: `node dist/bench/generate-tracking-log.js OUT.LOG SIZE_MB [SEED]`.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FIELDS_2016 } from '../functions/core/analysis/formats/exchange-tracking-log.js';

/**
 * Identity of this generator: the hash of its own compiled code, so that any change to the generator
 * invalidates cached files automatically.
 */
export const GENERATOR_VERSION = createHash('sha256')
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .digest('hex')
  .slice(0, 16);

/** The fields the generator writes: Exchange 2016/2019's, as the format adapter reads them. */
export const TRACKING_LOG_FIELDS = FIELDS_2016;

export const BASE_DATE = '2026-11-27T00:00:00.000Z';
const SCHEMA_VERSION = '15.02.1544.004';
export const ACCEPTED_DOMAIN = 'contoso.com';

export interface GenerateResult {
  path: string;
  bytes: number;
  /** Data rows (non-`#` lines). */
  rows: number;
  /** Rows whose status is a relay-attribution rejection (5.7.64 or 4.4.62/ATTR35) on a FAIL/DEFER event. */
  rejectionRows: number;
  seed: number;
  targetBytes: number;
  /** False when a cached file was reused. */
  generated: boolean;
  /** Generation time in seconds (0 when cached). */
  seconds: number;
}

interface Meta {
  generatorVersion: string;
  seed: number;
  targetBytes: number;
  bytes: number;
  rows: number;
  rejectionRows: number;
}

// ---------------------------------------------------------------------------------------------------------
// PRNG

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  hex(len: number): string {
    let s = '';
    while (s.length < len) s += ((this.next() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, len);
  }
  guid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  /** Exponentially distributed integer with the given mean, at least 1. */
  exp(mean: number): number {
    return Math.max(1, Math.round(-Math.log(1 - this.next()) * mean));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reference data

const FIRST = [
  'kate',
  'john',
  'anna',
  'pieter',
  'sofia',
  'lucas',
  'emma',
  'noah',
  'mila',
  'daan',
  'julia',
  'sem',
  'lotte',
  'finn',
  'sara',
  'jurgen',
  'ines',
  'marc',
  'helene',
  'tomasz',
];
const LAST = [
  'smith',
  'devries',
  'jansen',
  'bakker',
  'visser',
  'mueller',
  'schneider',
  'dubois',
  'rossi',
  'garcia',
  'nowak',
  'peeters',
  'meijer',
  'dekker',
  'brouwer',
];

const EXTERNAL_DOMAINS = [
  'tailspintoys.com',
  'adatum.com',
  'woodgrovebank.com',
  'northwindtraders.com',
  'wingtiptoys.com',
  'litwareinc.com',
  'gmail.com',
  'outlook.com',
  'proseware.com',
  'adventure-works.com',
  'fourthcoffee.com',
  'alpineskihouse.com',
];
const INTERNET_SENDER_DOMAINS = [
  'fabrikam.com',
  'adatum.com',
  'proseware.com',
  'adventure-works.com',
  'northwindtraders.com',
  'gmail.com',
  'wingtiptoys.com',
];
/** P1 domains an on-prem application or device uses that are NOT accepted in the tenant. */
const FOREIGN_APP_SENDERS = [
  'noreply@alerts.contoso.com',
  'erp@fabrikam.com',
  'scanner@scan.contoso.com',
  'monitoring@contoso.local',
  'invoices@contoso-billing.net',
  'backup@litware.com',
];
/** On-prem applications that relay through Exchange with an accepted P1 domain. */
const APP_SENDERS = ['helpdesk@contoso.com', 'erp@contoso.com', 'noreply@contoso.com', 'scans@contoso.com'];

const SUBJECTS = [
  'Quarterly report, final',
  'Meeting notes',
  'Re: Budget 2027',
  'FW: Contract draft v3',
  'Invoice 2026-1123, due 15 December',
  'Lunch on Friday?',
  'Re: "Project Falcon" kickoff',
  'Weekly status',
  'Your order has shipped',
  'Überweisung bestätigt',
  'Rapport mensuel – novembre',
  'Re: Offerte, aangepast',
  'Server maintenance window',
  'Holiday schedule',
  'RE: Access request for "Finance, shared"',
  'Scan from MFP-3F',
  'Password expiry notice',
  'Welcome aboard',
  'Re: Re: Pricing, volume discount',
  'Agenda',
  'Travel booking confirmation',
  'Q4 forecast (draft)',
  'Ticket #48213 updated',
  'Nieuwsbrief december',
];
const NDR_PREFIXES = [
  'Undeliverable: ',
  'Undeliverable: ',
  'Undeliverable: ',
  'Onbestelbaar: ',
  'Unzustellbar: ',
  'Non remis : ',
  'Non recapitabile: ',
];
const OOF_PREFIXES = ['Automatic reply: ', 'Automatic reply: ', 'Automatisch antwoord: '];

const SERVERS = [
  { name: 'EX01', fqdn: 'EX01.contoso.com', ip: '10.20.1.11' },
  { name: 'EX02', fqdn: 'EX02.contoso.com', ip: '10.20.1.12' },
] as const;
type Server = (typeof SERVERS)[number];
const APP_HOSTS = [
  { name: 'APP01', fqdn: 'app01.contoso.com', ip: '10.20.5.21' },
  { name: 'ERP01', fqdn: 'erp01.contoso.com', ip: '10.20.5.30' },
  { name: 'MFP-3F', fqdn: 'mfp-3f.contoso.local', ip: '10.20.7.40' },
] as const;
const INTERNET_HOSTS = [
  { fqdn: 'mail-ej1-f41.google.com', ip: '209.85.218.41' },
  { fqdn: 'EUR05-DB8-obe.outbound.protection.outlook.com', ip: '40.107.21.72' },
  { fqdn: 'mx.fabrikam.com', ip: '198.51.100.25' },
  { fqdn: 'smtp.proseware.com', ip: '203.0.113.17' },
] as const;
const SMART_HOST = 'contoso-com.mail.protection.outlook.com';
const SMART_HOST_IPS = ['52.101.68.5', '52.101.73.12', '52.101.73.18', '52.101.68.30'];
const SEND_CONNECTOR = 'Outbound to Office 365 - 5d3c0a7e-2f4b-4e6a-9c1d-8b7f6e5a4d3c';
const EOP_SERVERS = [
  'AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
  'AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
  'AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
  'DB8EUR05FT023.eop-eur05.prod.protection.outlook.com',
  'AMS0EPF000001A2.eurprd05.prod.outlook.com',
];
const SYSTEM_MAILBOX = 'MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com';

const OK_SEND = '250 2.1.5 Recipient OK';
const ST_5_1_10 = '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup';
const ST_5_7_26 =
  "550 5.7.26 Unauthenticated email from contoso.com is not accepted due to domain's DMARC policy. Please contact the administrator of contoso.com domain.";

// ---------------------------------------------------------------------------------------------------------
// Rows

const NEEDS_QUOTES = /[",\r\n]/;
function csv(v: string): string {
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A row under construction; unset fields are empty. */
interface Row {
  clientIp?: string;
  clientHost?: string;
  serverIp?: string;
  serverHost?: string;
  sourceContext?: string;
  connector?: string;
  source: string;
  event: string;
  recipients: string[];
  statuses?: string[];
  related?: string;
  reference?: string;
  directionality?: string;
  originalClientIp?: string;
  originalServerIp?: string;
  customData?: string;
  messageInfo?: string;
}

/** The message-level fields shared by all of a message's rows. */
interface Msg {
  internalId: string;
  messageId: string;
  networkId: string;
  subject: string;
  sender: string;
  returnPath: string;
  bytes: number;
  server: Server;
  directionality: string;
}

function isoMs(t: number): string {
  return new Date(t).toISOString();
}

class Generator {
  readonly rng: Rng;
  private readonly internalUsers: string[];
  private nextInternalId = 13606456424459;
  private readonly baseMs = Date.parse(BASE_DATE);
  clock = this.baseMs;

  // Min-heap of pending rows, ordered by (time, sequence) so concurrent messages interleave deterministically.
  private heapT: number[] = [];
  private heapSeq: number[] = [];
  private heapLine: string[] = [];
  private seq = 0;
  pendingBytes = 0;

  rows = 0;
  rejectionRows = 0;

  constructor(seed: number) {
    this.rng = new Rng(seed);
    this.internalUsers = [];
    for (const f of FIRST) for (const l of LAST) this.internalUsers.push(`${f}.${l}@${ACCEPTED_DOMAIN}`);
  }

  // --- heap ---
  private push(t: number, line: string): void {
    const h = this.heapT;
    let i = h.length;
    const s = this.seq++;
    h.push(t);
    this.heapSeq.push(s);
    this.heapLine.push(line);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(i, p)) {
        this.swap(i, p);
        i = p;
      } else break;
    }
    this.pendingBytes += Buffer.byteLength(line);
  }
  private less(a: number, b: number): boolean {
    const ta = this.heapT[a] as number;
    const tb = this.heapT[b] as number;
    return ta < tb || (ta === tb && (this.heapSeq[a] as number) < (this.heapSeq[b] as number));
  }
  private swap(a: number, b: number): void {
    const t = this.heapT[a] as number;
    this.heapT[a] = this.heapT[b] as number;
    this.heapT[b] = t;
    const s = this.heapSeq[a] as number;
    this.heapSeq[a] = this.heapSeq[b] as number;
    this.heapSeq[b] = s;
    const l = this.heapLine[a] as string;
    this.heapLine[a] = this.heapLine[b] as string;
    this.heapLine[b] = l;
  }
  get pendingCount(): number {
    return this.heapT.length;
  }
  peekTime(): number {
    return this.heapT[0] ?? Number.POSITIVE_INFINITY;
  }
  /** Removes and returns the earliest pending line. */
  pop(): string {
    const n = this.heapT.length - 1;
    const top = this.heapLine[0] as string;
    this.swap(0, n);
    this.heapT.pop();
    this.heapSeq.pop();
    this.heapLine.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  // --- helpers ---
  private internalUser(): string {
    return this.rng.pick(this.internalUsers);
  }
  private externalUser(domain?: string): string {
    const r = this.rng;
    return `${r.pick(FIRST)}${r.chance(0.5) ? `.${r.pick(LAST)}` : r.int(1, 99)}@${domain ?? r.pick(EXTERNAL_DOMAINS)}`;
  }
  private sessionId(): string {
    return `08DE${this.rng.hex(12).toUpperCase()}`;
  }
  private subject(): string {
    return this.rng.pick(SUBJECTS);
  }
  private eopStatus(kind: 'attr36' | 'noattr' | 'smtp' | 'colon' | 'kb'): string {
    const srv = this.rng.pick(EOP_SERVERS);
    switch (kind) {
      case 'attr36':
        return `550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [${srv}]`;
      case 'kb':
        return `550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [${srv}] For more information, see KB 3169958`;
      case 'noattr':
        return `550 5.7.64 TenantAttribution; Relay Access Denied [${srv}]`;
      case 'smtp':
        return '550 5.7.64 TenantAttribution; Relay Access Denied SMTP';
      case 'colon':
        return `550 5.7.64 TenantAttribution: Relay Access Denied [${srv}]`;
    }
  }
  private ledWrap(status: string, t: number, ip: string): string {
    return `{[{LED=${status}};{MSG=};{FQDN=${SMART_HOST}};{IP=${ip}};{LRT=${isoMs(t - 1000)}}]}`;
  }

  private newMsg(sender: string, returnPath: string, subject: string, server: Server, dir: string): Msg {
    const r = this.rng;
    // Mailbox/Outlook-style ids for our own mail, other MTAs' styles for mail from elsewhere.
    const at = sender.indexOf('@');
    const domain = at >= 0 ? sender.slice(at + 1) : 'example.net';
    return {
      internalId: String(this.nextInternalId++),
      messageId:
        domain === ACCEPTED_DOMAIN
          ? `<${r.hex(32)}@${server.fqdn}>`
          : r.chance(0.5)
            ? `<CA+${r.hex(24)}@mail.${domain}>`
            : `<${r.hex(8).toUpperCase()}.${r.hex(8).toUpperCase()}@${r.pick(['mail', 'smtp', 'mx'])}.${domain}>`,
      networkId: r.guid(),
      subject,
      sender,
      returnPath,
      bytes: r.chance(0.9) ? r.int(2_000, 80_000) : r.int(80_000, 12_000_000),
      server,
      directionality: dir,
    };
  }

  private emit(t: number, m: Msg, row: Row): void {
    const statuses = row.statuses ?? [];
    const recipientStatus = statuses.join(';');
    if (
      (row.event === 'FAIL' || row.event === 'DEFER') &&
      (recipientStatus.includes('5.7.64') || recipientStatus.includes('4.4.62'))
    ) {
      this.rejectionRows++;
    }
    this.rows++;
    const f: string[] = [
      isoMs(t),
      row.clientIp ?? '',
      row.clientHost ?? '',
      row.serverIp ?? '',
      row.serverHost ?? '',
      csv(row.sourceContext ?? ''),
      csv(row.connector ?? ''),
      row.source,
      row.event,
      m.internalId,
      csv(m.messageId),
      m.networkId,
      csv(row.recipients.join(';')),
      csv(recipientStatus),
      String(m.bytes),
      String(row.recipients.length),
      csv(row.related ?? ''),
      csv(row.reference ?? ''),
      csv(m.subject),
      csv(m.sender),
      csv(m.returnPath),
      csv(row.messageInfo ?? ''),
      row.directionality ?? m.directionality,
      '',
      row.originalClientIp ?? '',
      row.originalServerIp ?? '',
      csv(row.customData ?? ''),
      'Email',
      this.rng.guid(),
      SCHEMA_VERSION,
    ];
    this.push(t, `${f.join(',')}\r\n`);
  }

  // --- row templates ---
  private storeDriverContext(t: number): string {
    const r = this.rng;
    return `MDB:${r.guid()}, Mailbox:${r.guid()}, Event:${r.int(100000, 9999999)}, MessageClass:${r.chance(0.95) ? 'IPM.Note' : 'IPM.Schedule.Meeting.Request'}, CreationTime:${isoMs(t - r.int(50, 900))}, ClientType:${r.pick(['OWA', 'MOMT', 'ActiveSync', 'Transport'])}, SubmissionAssistant:MailboxTransportSubmissionEmailAssistant`;
  }
  private receiveCustom(m: Msg, clientIp: string, clientHost: string): string {
    return `S:FirstForestHop=${m.server.fqdn};S:ProxiedClientIPAddress=${clientIp};S:ProxiedClientHostname=${clientHost};S:DeliveryPriority=Normal;S:AccountForest=contoso.com`;
  }
  private agentCustom(): string {
    const r = this.rng;
    let s = `S:CFA=SUM|v=1|action=|error=|atch=${r.int(0, 2)};S:AMA=SUM|v=1|action=|error=|atch=0;S:TRA=ETRP|ruleId=${r.guid()}|st=0|action=ApplyHtmlDisclaimer;S:CompCost=|ETR=${r.int(0, 15)};S:DeliveryPriority=Normal;S:AccountForest=contoso.com`;
    const x = r.next();
    if (x < 0.08)
      s += ';S:AMA=EV|engine=M|v=1|sig=1.401.521.0|name=Trojan:O97M/Donoff, Win32/Generic|file=invoice.docm';
    else if (x < 0.12) s += ';S:ReplyTo="Support Desk, Contoso" <help@contoso.com>';
    return s;
  }
  private latencyInfo(t: number, m: Msg, stage: string): string {
    const r = this.rng;
    return `${isoMs(t - r.int(100, 3000))};SRV=${m.server.fqdn}:TOTAL-${stage}=${(r.next() * 0.9).toFixed(3)}|SMR=${(r.next() * 0.1).toFixed(3)}|CAT=${(r.next() * 0.2).toFixed(3)}|QDM=${(r.next() * 0.05).toFixed(3)}`;
  }
  private sendContext(m: Msg, bytes: number): string {
    const r = this.rng;
    return `${this.sessionId()};250 2.6.0 ${m.messageId} [InternalId=${r.int(1e9, 9e12)}, Hostname=${r.pick(EOP_SERVERS)}] ${bytes} bytes in ${(r.next() * 0.5).toFixed(3)}, ${(r.next() * 900 + 10).toFixed(3)} KB/sec Queued mail for delivery`;
  }

  /** Mailbox submission: SUBMIT + RECEIVE(STOREDRIVER) + AGENTINFO. Returns the time after. */
  private mailboxOrigin(t: number, m: Msg): number {
    const r = this.rng;
    const s = m.server;
    const ctx = this.storeDriverContext(t);
    this.emit(t, m, {
      serverHost: s.name,
      sourceContext: ctx,
      source: 'STOREDRIVER',
      event: 'SUBMIT',
      recipients: [],
      customData: 'S:ClientType=OWA;S:DeliveryPriority=Normal;S:AccountForest=contoso.com',
    });
    t += r.int(5, 120);
    this.emit(t, m, {
      serverIp: s.ip,
      serverHost: s.name,
      sourceContext: ctx,
      source: 'STOREDRIVER',
      event: 'RECEIVE',
      recipients: this.pendingRecipients,
      originalClientIp: s.ip,
      customData: this.receiveCustom(m, s.ip, s.name),
      messageInfo: this.latencyInfo(t, m, 'SUB'),
    });
    t += r.int(5, 200);
    this.emit(t, m, {
      serverHost: s.name,
      source: 'AGENT',
      event: 'AGENTINFO',
      sourceContext: 'Transport Rule Agent',
      connector: `${s.name}\\Default ${s.name}`,
      recipients: this.pendingRecipients,
      customData: this.agentCustom(),
    });
    return t + r.int(10, 400);
  }

  /** SMTP receive (from an app server or the internet) + AGENTINFO. */
  private smtpOrigin(t: number, m: Msg, client: { fqdn: string; ip: string }, connector: string): number {
    const r = this.rng;
    const s = m.server;
    this.emit(t, m, {
      clientIp: client.ip,
      clientHost: client.fqdn,
      serverIp: s.ip,
      serverHost: s.name,
      sourceContext: `${this.sessionId()};${isoMs(t - r.int(20, 500))};${r.int(0, 3)}`,
      connector: `${s.name}\\${connector}`,
      source: 'SMTP',
      event: 'RECEIVE',
      recipients: this.pendingRecipients,
      originalClientIp: client.ip,
      originalServerIp: s.ip,
      customData: this.receiveCustom(m, client.ip, client.fqdn),
      messageInfo: this.latencyInfo(t, m, 'FE'),
    });
    t += r.int(5, 200);
    this.emit(t, m, {
      serverHost: s.name,
      source: 'AGENT',
      event: 'AGENTINFO',
      sourceContext: 'Transport Rule Agent',
      connector: `${s.name}\\${connector}`,
      recipients: this.pendingRecipients,
      customData: this.agentCustom(),
    });
    return t + r.int(10, 400);
  }

  private pendingRecipients: string[] = [];

  private deliver(t: number, m: Msg, recipients: string[]): void {
    if (recipients.length === 0) return;
    const s = m.server;
    this.emit(t, m, {
      clientIp: s.ip,
      clientHost: s.fqdn,
      serverIp: s.ip,
      serverHost: s.name,
      sourceContext: `${this.sessionId()};${isoMs(t - 40)};ClientSubmitTime:${isoMs(t - 900)}`,
      source: 'STOREDRIVER',
      event: 'DELIVER',
      recipients,
      customData: `S:DeliveryLatency=${(this.rng.next() * 2).toFixed(3)};S:AccountForest=contoso.com`,
      messageInfo: this.latencyInfo(t, m, 'DEL'),
    });
  }

  private smartHostRow(
    t: number,
    m: Msg,
    event: string,
    recipients: string[],
    statuses: string[],
    sourceContext?: string,
  ): void {
    const s = m.server;
    const ip = this.rng.pick(SMART_HOST_IPS);
    this.emit(t, m, {
      clientIp: s.ip,
      clientHost: s.fqdn,
      serverIp: ip,
      serverHost: SMART_HOST,
      sourceContext: sourceContext ?? this.sessionId(),
      connector: SEND_CONNECTOR,
      source: event === 'DEFER' && this.rng.chance(0.3) ? 'QUEUE' : 'SMTP',
      event,
      recipients,
      statuses,
      customData:
        event === 'SEND'
          ? 'S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel=CertificateValidation;S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel=CertificateValidation;S:DeliveryPriority=Normal;S:AccountForest=contoso.com'
          : 'S:DeliveryPriority=Normal;S:AccountForest=contoso.com',
      messageInfo: event === 'SEND' ? this.latencyInfo(t, m, 'HUB') : '',
    });
  }

  private send(t: number, m: Msg, recipients: string[]): void {
    if (recipients.length === 0) return;
    this.smartHostRow(
      t,
      m,
      'SEND',
      recipients,
      recipients.map(() => OK_SEND),
      this.sendContext(m, m.bytes),
    );
  }

  /** FAIL rows at the smart host, then the DSN event and (optionally) the NDR delivered to an internal sender. */
  private fail(t: number, m: Msg, recipients: string[], status: string, led = false): number {
    const ip = this.rng.pick(SMART_HOST_IPS);
    const st = led ? this.ledWrap(status, t, ip) : status;
    this.smartHostRow(
      t,
      m,
      'FAIL',
      recipients,
      recipients.map(() => st),
    );
    return t + this.rng.int(5, 60);
  }

  /** FAIL rows for `recipients`, then the DSN event that reports the same status for each. */
  private failWithDsn(t: number, m: Msg, recipients: string[], status: string, led = false): number {
    const failed = this.fail(t, m, recipients, status, led);
    return this.dsn(
      failed,
      m,
      recipients,
      recipients.map(() => status),
    );
  }

  private dsn(t: number, m: Msg, recipients: string[], statuses: string[]): number {
    const s = m.server;
    const ndrId = `<${this.rng.hex(32)}@${s.fqdn}>`;
    this.emit(t, m, {
      serverHost: s.name,
      source: 'DSN',
      event: 'DSN',
      recipients,
      statuses,
      reference: ndrId,
    });
    t += this.rng.int(5, 80);
    // The NDR itself, delivered to an internal P1 sender.
    if (m.returnPath.endsWith('@contoso.com')) {
      const r = this.rng;
      const ndr: Msg = {
        internalId: String(this.nextInternalId++),
        messageId: ndrId,
        networkId: r.guid(),
        subject: `${r.pick(NDR_PREFIXES)}${m.subject}`,
        sender: SYSTEM_MAILBOX,
        returnPath: '<>',
        bytes: m.bytes + r.int(3000, 9000),
        server: s,
        directionality: 'Originating',
      };
      this.emit(t, ndr, {
        serverIp: s.ip,
        serverHost: s.name,
        source: 'DSN',
        event: 'RECEIVE',
        recipients: [m.returnPath],
        reference: m.messageId,
      });
      this.deliver(t + r.int(20, 300), ndr, [m.returnPath]);
    }
    return t;
  }

  // --- flows ---

  /** Internal user sends to a mix of internal and external recipients; all goes well. */
  private flowMailbox(t: number): void {
    const r = this.rng;
    const sender = this.internalUser();
    const m = this.newMsg(sender, sender, this.subject(), r.pick(SERVERS), 'Originating');
    const nInt = r.chance(0.55) ? r.int(1, r.chance(0.2) ? 4 : 1) : 0;
    const nExt = nInt === 0 || r.chance(0.35) ? r.int(1, r.chance(0.2) ? 3 : 1) : 0;
    const internal = Array.from({ length: nInt }, () => this.internalUser());
    const external = Array.from({ length: nExt }, () => this.externalUser());
    this.pendingRecipients = [...internal, ...external];
    t = this.mailboxOrigin(t, m);
    this.deliver(t, m, internal);
    // Ordinary remote failures, not relay rejections.
    const x = r.next();
    if (external.length > 0 && x < 0.03) {
      const st = r.chance(0.5) ? ST_5_7_26 : ST_5_1_10;
      this.failWithDsn(t + r.int(100, 1500), m, external, st);
    } else if (external.length > 0 && x < 0.035) {
      // Queue expiry after remote deferrals (4.4.7) — not a relay rejection.
      const st = '550 4.4.7 QUEUE.Expired; message expired';
      this.failWithDsn(t + r.int(100, 1500), m, external, st, true);
    } else {
      this.send(t + r.int(100, 1500), m, external);
    }
  }

  /** Inbound internet mail for internal recipients; sometimes an unknown recipient → NDR back out. */
  private flowInbound(t: number): void {
    const r = this.rng;
    const sender = this.externalUser(r.pick(INTERNET_SENDER_DOMAINS));
    const m = this.newMsg(sender, sender, this.subject(), r.pick(SERVERS), 'Incoming');
    const n = r.chance(0.15) ? r.int(2, 4) : 1;
    const recips = Array.from({ length: n }, () => this.internalUser());
    this.pendingRecipients = recips;
    t = this.smtpOrigin(t, m, r.pick(INTERNET_HOSTS), `Default Frontend ${m.server.name}`);
    if (r.chance(0.06)) {
      // Unknown recipient: ordinary 5.1.10 failure; the on-prem NDR to the internet sender has a null P1,
      // and EOP refuses to relay it (scenario `ndr`) in most cases.
      const bad = `${r.pick(FIRST)}.${r.pick(LAST)}x@contoso.com`;
      this.emit(t, m, {
        serverHost: m.server.name,
        source: 'ROUTING',
        event: 'FAIL',
        recipients: [bad],
        statuses: [ST_5_1_10],
      });
      t = this.dsn(t + r.int(5, 50), m, [bad], [ST_5_1_10]);
      this.deliver(t, m, recips);
      this.flowNdrOut(t + r.int(30, 400), m, bad, 'ndr');
    } else {
      this.deliver(t, m, recips);
    }
  }

  /** The on-prem server sends an NDR or an out-of-office reply (null P1) to an internet recipient. */
  private flowNdrOut(t: number, orig: Msg | undefined, from: string | undefined, kind: 'ndr' | 'oof'): void {
    const r = this.rng;
    const s = orig?.server ?? r.pick(SERVERS);
    const to = orig?.sender ?? this.externalUser(r.pick(INTERNET_SENDER_DOMAINS));
    const subj = orig?.subject ?? this.subject();
    const isOof = kind === 'oof';
    const sender = isOof
      ? (from ?? this.internalUser())
      : r.chance(0.8)
        ? SYSTEM_MAILBOX
        : 'postmaster@contoso.com';
    const m = this.newMsg(
      sender,
      '<>',
      `${r.pick(isOof ? OOF_PREFIXES : NDR_PREFIXES)}${subj}`,
      s,
      'Originating',
    );
    this.pendingRecipients = [to];
    if (isOof) {
      t = this.mailboxOrigin(t, m);
    } else {
      this.emit(t, m, {
        serverIp: s.ip,
        serverHost: s.name,
        source: 'DSN',
        event: 'RECEIVE',
        recipients: [to],
        reference: orig?.messageId ?? '',
      });
      t += r.int(5, 200);
    }
    if (r.chance(0.9)) this.fail(t, m, [to], this.eopStatus(r.chance(0.9) ? 'attr36' : 'kb'));
    else this.send(t, m, [to]);
  }

  /** An application server relays through Exchange. Foreign P1 domains are refused by EOP. */
  private flowApp(t: number, foreign: boolean): void {
    const r = this.rng;
    const host = r.pick(APP_HOSTS);
    const sender = foreign ? r.pick(FOREIGN_APP_SENDERS) : r.pick(APP_SENDERS);
    const m = this.newMsg(sender, sender, this.subject(), r.pick(SERVERS), 'Originating');
    const n = r.chance(0.25) ? r.int(2, 3) : 1;
    const external = Array.from({ length: n }, () => this.externalUser());
    const internal = r.chance(0.2) ? [this.internalUser()] : [];
    this.pendingRecipients = [...internal, ...external];
    t = this.smtpOrigin(t, m, host, `Relay ${host.name}`);
    this.deliver(t, m, internal);
    if (foreign) {
      const led = n === 1 && r.chance(0.08);
      const st = this.eopStatus(r.chance(0.85) ? 'attr36' : 'kb');
      this.failWithDsn(t + r.int(100, 1500), m, external, st, led);
    } else {
      this.send(t + r.int(100, 1500), m, external);
    }
  }

  /** Mail from outside to an internal mailbox that forwards to an outside address (scenario `forwarding`). */
  private flowForwarding(t: number): void {
    const r = this.rng;
    const sender = this.externalUser(r.pick(INTERNET_SENDER_DOMAINS));
    const m = this.newMsg(sender, sender, this.subject(), r.pick(SERVERS), 'Incoming');
    const local = this.internalUser();
    const target = `${local.slice(0, local.indexOf('@'))}@${r.pick(EXTERNAL_DOMAINS)}`;
    this.pendingRecipients = [local];
    t = this.smtpOrigin(t, m, r.pick(INTERNET_HOSTS), `Default Frontend ${m.server.name}`);
    if (r.chance(0.75)) {
      // Mailbox forwarding address: REDIRECT by the categorizer, related-recipient-address = the mailbox.
      this.emit(t, m, {
        serverHost: m.server.name,
        source: 'ROUTING',
        event: 'REDIRECT',
        recipients: [target],
        related: local,
      });
      t += r.int(5, 50);
      if (r.chance(0.5)) this.deliver(t, m, [local]);
      this.fail(t + r.int(100, 1500), m, [target], this.eopStatus('attr36'));
    } else {
      // Inbox rule redirect: delivered, then resubmitted by the mailbox rule with the original P1.
      this.deliver(t, m, [local]);
      t += r.int(200, 3000);
      const fwd: Msg = { ...m, internalId: String(this.nextInternalId++), networkId: r.guid() };
      fwd.directionality = 'Originating';
      this.emit(t, fwd, {
        serverIp: m.server.ip,
        serverHost: m.server.name,
        sourceContext: this.storeDriverContext(t),
        source: 'MAILBOXRULE',
        event: 'RECEIVE',
        recipients: [target],
        related: local,
      });
      this.fail(t + r.int(100, 1500), fwd, [target], this.eopStatus('attr36'));
    }
  }

  /** Accepted P1 domain, but the connector does not match any more (scenario `connector-mismatch`). */
  private flowConnectorMismatch(t: number): void {
    const r = this.rng;
    const sender = this.internalUser();
    const m = this.newMsg(sender, sender, this.subject(), r.pick(SERVERS), 'Originating');
    const n = r.chance(0.25) ? r.int(2, 3) : 1;
    const external = Array.from({ length: n }, () => this.externalUser());
    this.pendingRecipients = external;
    t = this.mailboxOrigin(t, m);
    const x = r.next();
    const st = this.eopStatus(x < 0.6 ? 'noattr' : x < 0.85 ? 'smtp' : 'colon');
    this.failWithDsn(t + r.int(100, 1500), m, external, st);
  }

  /** Smart host is not the tenant's endpoint (scenario `wrong-region`): deferrals, then expiry or success. */
  private flowWrongRegion(t: number): void {
    const r = this.rng;
    const sender = r.chance(0.5) ? this.internalUser() : r.pick(APP_SENDERS);
    const m = this.newMsg(sender, sender, this.subject(), r.pick(SERVERS), 'Originating');
    const external = [this.externalUser()];
    this.pendingRecipients = external;
    t = APP_SENDERS.includes(sender)
      ? this.smtpOrigin(t, m, APP_HOSTS[0], 'Relay APP01')
      : this.mailboxOrigin(t, m);
    const st = `451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35 [${r.pick(EOP_SERVERS)}]`;
    const tries = r.int(1, 3);
    for (let i = 0; i < tries; i++) {
      this.smartHostRow(t, m, 'DEFER', external, [st]);
      t += r.int(60_000, 600_000);
    }
    if (r.chance(0.5)) {
      const exp = '550 4.4.7 QUEUE.Expired; message expired';
      const ip = r.pick(SMART_HOST_IPS);
      this.smartHostRow(t, m, 'FAIL', external, [`${exp} ${this.ledWrap(st, t, ip)}`]);
    } else {
      this.send(t, m, external);
    }
  }

  /** Generates one message flow starting near the current clock. */
  step(): void {
    const r = this.rng;
    this.clock += r.exp(140);
    const t = this.clock;
    const x = r.next();
    // Weights tuned so that about 10 % of all rows are relay-attribution rejections (FAIL 5.7.64 / DEFER 4.4.62).
    if (x < 0.38) this.flowMailbox(t);
    else if (x < 0.58) this.flowInbound(t);
    else if (x < 0.63) this.flowApp(t, false);
    else if (x < 0.77) this.flowApp(t, true);
    else if (x < 0.82) this.flowNdrOut(t, undefined, undefined, 'oof');
    else if (x < 0.88) this.flowForwarding(t);
    else if (x < 0.97) this.flowConnectorMismatch(t);
    else this.flowWrongRegion(t);
  }
}

function preamble(): string {
  return [
    '\uFEFF#Software: Microsoft Exchange Server',
    `#Version: ${SCHEMA_VERSION}`,
    '#Log-Type: Message Tracking Log',
    `#Date: ${BASE_DATE}`,
    `#Fields: ${TRACKING_LOG_FIELDS.join(',')}`,
    '',
  ].join('\r\n');
}

function readMeta(metaPath: string): Meta | undefined {
  try {
    return JSON.parse(readFileSync(metaPath, 'utf8')) as Meta;
  } catch {
    return undefined;
  }
}

/**
 * Writes a deterministic tracking log of at least `targetBytes` bytes (complete rows; the file ends after
 * the last pending event). Reuses an existing file when its `.meta.json` records the same seed, target and
 * generator version and the file still has the recorded size.
 */
export async function generateTrackingLog(
  path: string,
  targetBytes: number,
  seed: number,
): Promise<GenerateResult> {
  const metaPath = `${path}.meta.json`;
  const meta = readMeta(metaPath);
  if (
    meta &&
    existsSync(path) &&
    meta.generatorVersion === GENERATOR_VERSION &&
    meta.seed === seed &&
    meta.targetBytes === targetBytes &&
    statSync(path).size === meta.bytes
  ) {
    return {
      path,
      bytes: meta.bytes,
      rows: meta.rows,
      rejectionRows: meta.rejectionRows,
      seed,
      targetBytes,
      generated: false,
      seconds: 0,
    };
  }

  const started = performance.now();
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp, { highWaterMark: 1 << 20 });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => {});

  let bytes = 0;
  let chunk = '';
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const c = chunk;
    chunk = '';
    if (!out.write(c)) await Promise.race([once(out, 'drain'), failed]);
  };
  const head = preamble();
  chunk += head;
  bytes += Buffer.byteLength(head);

  const g = new Generator(seed);
  const take = (): void => {
    const line = g.pop();
    const n = Buffer.byteLength(line);
    g.pendingBytes -= n;
    bytes += n;
    chunk += line;
  };
  while (bytes + g.pendingBytes < targetBytes) {
    g.step();
    // Write every event that happened before the clock: later flows cannot produce earlier events.
    while (g.pendingCount > 0 && g.peekTime() <= g.clock) take();
    if (chunk.length >= 1 << 20) await flush();
  }
  while (g.pendingCount > 0) {
    take();
    if (chunk.length >= 1 << 20) await flush();
  }
  await flush();
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  await Promise.race([once(out, 'close'), failed]);
  renameSync(tmp, path);

  const size = statSync(path).size;
  if (size !== bytes) throw new Error(`generator byte count mismatch: counted ${bytes}, file has ${size}`);
  const newMeta: Meta = {
    generatorVersion: GENERATOR_VERSION,
    seed,
    targetBytes,
    bytes: size,
    rows: g.rows,
    rejectionRows: g.rejectionRows,
  };
  writeFileSync(metaPath, `${JSON.stringify(newMeta, null, 2)}\n`);
  return {
    path,
    bytes: size,
    rows: g.rows,
    rejectionRows: g.rejectionRows,
    seed,
    targetBytes,
    generated: true,
    seconds: (performance.now() - started) / 1000,
  };
}

// Standalone use: node dist/bench/generate-tracking-log.js OUT.LOG SIZE_MB [SEED]
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [out, mb, seedArg] = process.argv.slice(2);
  if (!out || !mb || !Number.isFinite(Number(mb))) {
    console.error('usage: generate-tracking-log.js OUT.LOG SIZE_MB [SEED]');
    process.exit(2);
  }
  const res = await generateTrackingLog(
    resolve(out),
    Math.round(Number(mb) * 1024 * 1024),
    Number(seedArg ?? 42),
  );
  console.log(JSON.stringify(res));
}
