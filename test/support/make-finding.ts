/**
 * Builds schema-valid findings for tests. The id is derived with the real `findingId`, so two
 * findings for the same message, recipient and code collide exactly as they would in production.
 */
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';
import { findingId } from '../../functions/store/table-design.js';

/**
 * Fields to set. `undefined` leaves an optional field out (`senderDomain: undefined`) and gives a
 * required one its default (`messageId: undefined`).
 */
export type FindingOverrides = { [K in keyof Omit<Finding, 'source'>]?: Finding[K] | undefined } & {
  source?: Partial<Finding['source']>;
};

let counter = 0;

/** A valid finding; every field can be overridden, `id` follows messageId/recipient/code unless given. */
export function makeFinding(overrides: FindingOverrides = {}): Finding {
  counter += 1;
  const messageId = overrides.messageId ?? `msg-${counter}@contoso.com`;
  const recipient = overrides.recipient ?? `user${counter}@fabrikam.example`;
  const code = overrides.code ?? '5.7.64';
  const { source, ...rest } = overrides;
  return {
    scenario: 'forwarding',
    sender: 'alice@contoso.com',
    returnPath: 'alice@contoso.com',
    senderDomain: 'contoso.com',
    recipientDomain: recipient.split('@')[1] ?? 'fabrikam.example',
    rejectionText: '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36',
    smtpCode: '550',
    attr: 'ATTR36',
    timestamp: '2026-11-28T22:15:03.000Z',
    serverHostname: 'EX01.contoso.local',
    evidence: [{ kind: 'redirect-event', detail: 'message was redirected by a mailbox rule' }],
    confidence: 'high',
    remediation: {
      title: 'Forwarded mail is relayed with the original sender',
      explanation: 'Exchange Online attributes relay by the envelope sender (P1).',
      steps: ['Enable SRS or rewrite the envelope sender.'],
      commands: ['Get-InboundConnector | Format-List Name,SenderDomains'],
      links: [
        { title: 'Relay attribution', url: 'https://learn.microsoft.com/exchange/mail-flow-best-practices' },
      ],
    },
    ...(rest as Partial<Finding>),
    messageId,
    recipient,
    code,
    id: overrides.id ?? findingId(messageId, recipient, code),
    source: {
      file: 'MSGTRK20261128-1.LOG',
      line: counter + 5,
      format: 'exchange-tracking-log',
      sourceId: 'src-default',
      ...source,
    },
  };
}

/** Findings `count` minutes apart, newest last, starting at `start`. */
export function makeFindingsSeries(
  count: number,
  start: string,
  overrides: FindingOverrides = {},
): Finding[] {
  const base = Date.parse(start);
  return Array.from({ length: count }, (_, i) =>
    makeFinding({ ...overrides, timestamp: new Date(base + i * 60_000).toISOString() }),
  );
}

/** A valid source record (an analysed tracking log); every field can be overridden. */
export function makeSource(overrides: Partial<SourceRecord> = {}): SourceRecord {
  return {
    id: 'src-1',
    file: 'MSGTRK20261128-1.LOG',
    format: 'exchange-tracking-log',
    status: 'processing',
    startedAt: '2026-11-28T10:00:00.000Z',
    bytes: 1024,
    rowsRead: 10,
    rowsAnalysed: 9,
    rowsSkipped: 1,
    events: 9,
    rejections: 2,
    skipped: [{ line: 7, reason: 'COLUMN_COUNT', message: 'expected 25 columns, found 3' }],
    skippedTruncated: 0,
    skippedByReason: { COLUMN_COUNT: 1 },
    findingsByScenario: { ndr: 1, forwarding: 1 },
    ...overrides,
  };
}
