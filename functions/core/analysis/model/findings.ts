/**
 * Findings: one relay-attribution rejection of one message to one recipient, classified into a
 * documented scenario, with the evidence used and tailored remediation.
 */
import { z } from 'zod';
import { FormatId } from './events.js';
import { SCENARIO_ID_LIST } from './scenario-ids.js';

/** Scenario ids (see `scenario-ids.ts`). */
export const ScenarioId = z.enum(SCENARIO_ID_LIST);
export type ScenarioId = z.infer<typeof ScenarioId>;
export const SCENARIO_IDS: readonly ScenarioId[] = ScenarioId.options;

/** Counts per scenario with every scenario present, at zero. */
export function emptyScenarioCounts(): Record<ScenarioId, number> {
  return Object.fromEntries(SCENARIO_IDS.map((id) => [id, 0])) as Record<ScenarioId, number>;
}

export const Confidence = z.enum(['high', 'medium', 'low']);
export type Confidence = z.infer<typeof Confidence>;

/** The parsed relay-attribution rejection (see rejections.ts). */
export const Rejection = z.object({
  /** Three-digit SMTP reply code, e.g. `550`. */
  smtpCode: z
    .string()
    .regex(/^[2-5]\d\d$/)
    .optional(),
  /** Enhanced status code, e.g. `5.7.64`. */
  enhancedCode: z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/),
  /** Attribution marker, e.g. `ATTR36`. */
  attr: z
    .string()
    .regex(/^ATTR\d+$/)
    .optional(),
  /** The Exchange Online front end that answered, e.g. `AM0PR01MB1234.eurprd01.prod.exchangelabs.com`. */
  remoteHost: z.string().optional(),
  /**
   * The address of Exchange Online's host, when the text names it: an Exchange queue's last error
   * (`[{LED=…};{FQDN=…};{IP=2a01:…};…]`), which a QUEUE row gives with no server-ip of its own.
   */
  remoteAddress: z.string().optional(),
  /** The innermost error text, without queue wrappers. */
  text: z.string(),
});
export type Rejection = z.infer<typeof Rejection>;

/** What a rule matched on; shown to users and stored. */
export const Evidence = z.object({
  /** Short machine-readable label, e.g. `null-return-path`, `redirect-event`. */
  kind: z.string(),
  /** Human sentence, e.g. `return-path is <> (null sender)`. */
  detail: z.string(),
});
export type Evidence = z.infer<typeof Evidence>;

/**
 * The evidence of a finding whose date was read with an assumed day/month order (the event's
 * `dateOrderAssumed`): the store never lets such a date win over one read for sure.
 */
export const DATE_ORDER_ASSUMED_EVIDENCE: Readonly<Evidence> = {
  kind: 'date-order-assumed',
  detail:
    'the day and month of its date could be either way (3/9/2021) and nothing in the file had settled ' +
    'which when it was read: the note on the file’s record says which order was assumed, and why',
};

/**
 * The evidence of a finding whose time had no zone and was taken as UTC (the event's
 * `timeZoneAssumed`): the store never lets such a time win over one read with a zone.
 */
export const TIME_ZONE_ASSUMED_EVIDENCE: Readonly<Evidence> = {
  kind: 'time-zone-assumed',
  detail:
    'its time has no time zone in the file and was taken as UTC: written in local time (an export on a PC, ' +
    'a relay’s syslog), it is off by that zone’s offset, and a reading of the refusal with a time zone replaces it',
};

export const Remediation = z.object({
  title: z.string(),
  explanation: z.string(),
  steps: z.array(z.string()),
  commands: z.array(z.string()),
  links: z.array(z.object({ title: z.string(), url: z.url() })),
});
export type Remediation = z.infer<typeof Remediation>;

/**
 * For a `forwarding` finding: the internal mailbox, contact or group the message arrived for and how
 * it was passed on outside, when the evidence points at one address. Kept apart from the remediation,
 * which findings share (one text per scenario and names, stored once): the advice names the address
 * when it is shown (`adviceFor`, remediation/forwarding-lead.ts).
 */
export const ForwardingOrigin = z.object({
  /** A REDIRECT, RESOLVE or EXPAND row made the outside recipient; an inbox rule did; or only a receipt is known. */
  kind: z.enum(['redirect', 'resolve', 'expand', 'mailbox-rule', 'received-for']),
  /** The internal address (a group's, for `expand`). */
  address: z.string(),
});
export type ForwardingOrigin = z.infer<typeof ForwardingOrigin>;

export const FindingSource = z.object({
  /** File name (local path basename or S3 key) of the row that produced the finding. */
  file: z.string(),
  line: z.number().int().positive(),
  format: FormatId,
  /** Id of the source record (see source-record.ts). */
  sourceId: z.string(),
});
export type FindingSource = z.infer<typeof FindingSource>;

export const Finding = z.object({
  /** Deterministic id from message id + recipient + rejection code (see findingId in store/keys). */
  id: z.string(),
  scenario: ScenarioId,
  messageId: z.string(),
  recipient: z.string(),
  /** Header sender (P2). */
  sender: z.string().optional(),
  /** Envelope sender (P1); `''` for the null sender, absent when the input does not say. */
  returnPath: z.string().optional(),
  /** The domain the classifier attributed the message to (P1 when known, else header sender). */
  senderDomain: z.string().optional(),
  recipientDomain: z.string().optional(),
  subject: z.string().optional(),
  /** Enhanced status code of the rejection, e.g. `5.7.64`. */
  code: z.string(),
  smtpCode: z.string().optional(),
  attr: z.string().optional(),
  remoteHost: z.string().optional(),
  rejectionText: z.string(),
  /** When the rejection happened (UTC ISO 8601). */
  timestamp: z.iso.datetime(),
  /** On-prem server / connector that sent the message, when known. */
  serverHostname: z.string().optional(),
  clientIp: z.string().optional(),
  connectorId: z.string().optional(),
  /**
   * A mail log's queue id of the refused message (Postfix, sendmail, Exim): with the relay's host
   * name it tells the message apart from another refused in the same second, also across runs that
   * name it differently (its Message-ID, or a stand-in when a copy lacks the `message-id=` line).
   */
  queueId: z.string().optional(),
  evidence: z.array(Evidence),
  confidence: Confidence,
  remediation: Remediation,
  /** Forwarding only: where on-premises the message was passed on outside (see `ForwardingOrigin`). */
  forwardedFrom: ForwardingOrigin.optional(),
  source: FindingSource,
  /**
   * The classifier version that wrote it (see classifier-version.ts); absent on findings stored
   * before versions were recorded, which a re-analysis treats as older than any version.
   */
  classifierVersion: z.string().min(1).optional(),
});
export type Finding = z.infer<typeof Finding>;

/**
 * The sender domain a report lists a finding under: its domain, `<>` for the null sender (an NDR
 * has no domain), `(unknown)` when the input named no sender. `analyze` and `upload` say the same.
 */
export function reportedSenderDomain(finding: Pick<Finding, 'senderDomain' | 'returnPath'>): string {
  return finding.senderDomain ?? (finding.returnPath === '' ? '<>' : '(unknown)');
}
