/**
 * The outside recipients an inbound index entry carries: which ones a receipt named along with the
 * internal recipient (an application relaying through an anonymous relay connector addresses both),
 * and how every correlation across uploads (the run's end, the nightly job) reads them with the
 * classifier's rule, `addressedBySender`: a refusal for a recipient the sender addressed itself is
 * not forwarding; entries stored without them prove forwarding as before.
 */
import { describe, expect, it } from 'vitest';
import {
  correlatingEntries,
  reclassifyAsForwarding,
} from '../../functions/core/analysis/evidence/correlation.js';
import {
  addressedOnly,
  InboundEntries,
  InboundEntry,
  MORE_OUTSIDE,
  OUTSIDE_KEPT,
  provesArrival,
  tracesOfEntries,
} from '../../functions/core/analysis/evidence/inbound-entry.js';
import { RunEvidence } from '../../functions/core/analysis/evidence/run-evidence.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { inboundItem } from '../../functions/store/inbound-index.js';
import { correlateRun } from '../../functions/store/run-correlation.js';
import { inboundKey } from '../../functions/store/table-design.js';
import { makeFinding } from '../support/make-finding.js';

const DOMAINS = parseAcceptedDomains('contoso.com', 'test');
const MESSAGE = 'APP.20261128.104500.0001@app01.contoso.local';
const UPLOAD_A = { sourceId: 'upload-a', file: 'EX01/MSGTRK2026112810-1.LOG' };

/** The events of one tracking-log row: one per recipient, in the row's order. */
function row(
  line: number,
  eventId: string,
  recipients: string[],
  fields: Partial<TraceEvent> = {},
): TraceEvent[] {
  return recipients.map((recipient) => ({
    timestamp: '2026-11-28T10:45:00.412Z',
    eventId,
    messageId: MESSAGE,
    recipient,
    returnPath: 'noreply@vendorapp.com',
    directionality: 'incoming',
    line,
    ...fields,
  }));
}

function entriesOf(...rows: TraceEvent[][]): InboundEntry[] {
  const entries = new InboundEntries(DOMAINS);
  for (const event of rows.flat()) entries.add(event, UPLOAD_A);
  return entries.take();
}

describe('the outside recipients of an inbound entry', () => {
  it('are those its receipt named, whichever comes first, and the delivery after it keeps them', () => {
    const entries = entriesOf(
      row(6, 'RECEIVE', ['lee@contoso.com', 'ap@litware.com']),
      row(7, 'DELIVER', ['lee@contoso.com']),
      row(10, 'RECEIVE', ['ar@litware.com', 'finance@contoso.com']),
    );
    // The DELIVER is the same index item as the RECEIVE (day, upload, recipient): it replaces it.
    expect(entries.map((entry) => [entry.eventId, entry.recipient, entry.outside])).toEqual([
      ['RECEIVE', 'lee@contoso.com', ['ap@litware.com']],
      ['DELIVER', 'lee@contoso.com', ['ap@litware.com']],
      ['RECEIVE', 'finance@contoso.com', ['ar@litware.com']],
    ]);
    for (const entry of entries) expect(InboundEntry.safeParse(entry).success).toBe(true);
  });

  it('of a later receipt of the same item add to those of the earlier one', () => {
    const entries = entriesOf(
      row(6, 'RECEIVE', ['lee@contoso.com', 'ap@litware.com']),
      row(8, 'RECEIVE', ['lee@contoso.com', 'ar@litware.com', 'ap@litware.com']),
    );
    expect(entries.map((entry) => entry.outside)).toEqual([
      ['ap@litware.com'],
      ['ap@litware.com', 'ar@litware.com'],
    ]);
  });

  it('are absent when the receipt named none, or another row did (which is an entry of its own)', () => {
    const entries = entriesOf(
      row(14, 'RECEIVE', ['kate@contoso.com']),
      // Another receipt of the same message (another session) names only an outside recipient.
      row(15, 'RECEIVE', ['kate@tailspintoys.com']),
      // A delivery to an outside address may be a forward's: it names no one the sender addressed.
      row(16, 'DELIVER', ['kate@contoso.com', 'kate@tailspintoys.com']),
    );
    expect(entries.map((entry) => [entry.recipient, entry.outside])).toEqual([
      ['kate@contoso.com', undefined],
      [undefined, ['kate@tailspintoys.com']],
      ['kate@contoso.com', undefined],
    ]);
    expect('outside' in (entries[0] as InboundEntry)).toBe(false);
    // Nothing for the item to grow by.
    expect(Object.keys(inboundItem(entries[0] as InboundEntry, 86_400)).sort()).toEqual([
      'eventId',
      'expiresAt',
      'file',
      'messageId',
      'pk',
      'receivedAt',
      'sk',
      'sourceId',
    ]);
  });

  it('are bounded: past the first eight, or an address too long to keep, a marker stands for any', () => {
    const many = Array.from({ length: OUTSIDE_KEPT + 3 }, (_, i) => `user${i}@litware.com`);
    const [bounded] = entriesOf(row(6, 'RECEIVE', ['lee@contoso.com', ...many]));
    const [long] = entriesOf(row(6, 'RECEIVE', [`${'x'.repeat(330)}@litware.com`, 'lee@contoso.com']));
    expect(bounded?.outside).toEqual([...many.slice(0, OUTSIDE_KEPT), MORE_OUTSIDE]);
    expect(InboundEntry.safeParse(bounded).success).toBe(true);
    expect(long?.outside).toEqual([MORE_OUTSIDE]);
    expect(InboundEntry.safeParse({ ...bounded, outside: [...many, MORE_OUTSIDE] }).success).toBe(false);
    expect(InboundEntry.safeParse({ ...bounded, outside: ['not an address'] }).success).toBe(false);
  });

  it('are stored with the entry, one list attribute', () => {
    const [entry] = entriesOf(row(6, 'RECEIVE', ['lee@contoso.com', 'ap@litware.com']));
    expect(inboundItem(entry as InboundEntry, 86_400).outside).toEqual({ L: [{ S: 'ap@litware.com' }] });
  });
});

/** Exchange Online's refusal of ap@litware.com, read in `sourceId`. */
function refusalIn(sourceId: string): Finding {
  return makeFinding({
    scenario: 'foreign-sender-domain',
    messageId: MESSAGE,
    recipient: 'ap@litware.com',
    senderDomain: 'vendorapp.com',
    returnPath: 'noreply@vendorapp.com',
    timestamp: '2026-11-28T10:45:01.604Z',
    source: { sourceId },
  });
}
/** The message's receipt for lee@contoso.com in upload-a, naming no outside recipient. */
const LEE_RECEIPT: InboundEntry = {
  messageId: MESSAGE,
  recipient: 'lee@contoso.com',
  receivedAt: '2026-11-28T10:45:00.412Z',
  sourceId: 'upload-a',
  eventId: 'RECEIVE',
};

describe('the correlation of a refusal with entries naming outside recipients', () => {
  const refusal = refusalIn('upload-b');
  const receipt = LEE_RECEIPT;

  it('is no forwarding when a receipt in any upload named the refused recipient, or more than it kept', () => {
    expect(reclassifyAsForwarding(refusal, [{ ...receipt, outside: ['ap@litware.com'] }])).toBeUndefined();
    expect(reclassifyAsForwarding(refusal, [{ ...receipt, outside: [MORE_OUTSIDE] }])).toBeUndefined();
    // The naming receipt may be in the refusal's own upload, the proof in another.
    const own = {
      ...receipt,
      sourceId: 'upload-b',
      recipient: 'finance@contoso.com',
      outside: ['ap@litware.com'],
    };
    expect(correlatingEntries(refusal, [receipt, own])).toEqual([]);
  });

  it('is forwarding as before for entries without outside recipients, or naming others', () => {
    expect(reclassifyAsForwarding(refusal, [receipt])?.scenario).toBe('forwarding');
    expect(reclassifyAsForwarding(refusal, [{ ...receipt, outside: ['ar@litware.com'] }])?.scenario).toBe(
      'forwarding',
    );
  });

  it('is forwarding when a redirect of the message is indexed: the index keeps no redirect target', () => {
    const redirect: InboundEntry = { ...receipt, recipient: 'kate@contoso.com', eventId: 'REDIRECT' };
    const proof = correlatingEntries(refusal, [{ ...receipt, outside: ['ap@litware.com'] }, redirect]);
    expect(proof.map((entry) => [entry.eventId, entry.recipient])).toEqual([
      ['REDIRECT', 'kate@contoso.com'],
      ['RECEIVE', 'lee@contoso.com'],
    ]);
  });
});

describe("the run's end correlation of its receipts with stored refusals", () => {
  it('reads every upload’s entries of the message, not only the run’s own', async () => {
    // Prepare: upload-b's refusal is stored; upload-a named ap@ as addressed; this run (upload-c)
    // brings another receipt of the message, for lee@, that names no outside recipient.
    const stored: Finding = {
      ...makeFinding({
        scenario: 'foreign-sender-domain',
        messageId: MESSAGE,
        recipient: 'ap@litware.com',
        senderDomain: 'vendorapp.com',
        returnPath: 'noreply@vendorapp.com',
        timestamp: '2026-11-28T10:45:01.604Z',
        source: { sourceId: 'upload-b' },
      }),
    };
    const named: InboundEntry = {
      messageId: MESSAGE,
      recipient: 'lee@contoso.com',
      receivedAt: '2026-11-28T10:45:00.412Z',
      sourceId: 'upload-a',
      eventId: 'RECEIVE',
      outside: ['ap@litware.com'],
    };
    const ours: InboundEntry = {
      ...named,
      sourceId: 'upload-c',
      eventId: 'DELIVER',
      receivedAt: '2026-11-28T10:45:00.988Z',
    };
    delete ours.outside;
    const run = new RunEvidence();
    run.observeReceipts([ours]);
    const put: Finding[] = [];
    const store = {
      listSources: async () => ({ items: [{ id: 'upload-b' }] }),
      getFinding: async (id: string) => (id === stored.id ? stored : undefined),
      putFindings: async (findings: Finding[]) => {
        put.push(...findings);
      },
      async *foreignSenderFindingKeys() {
        yield [{ id: stored.id, messageId: stored.messageId, sourceId: 'upload-b' }];
      },
      moveToForwarding: async () => 0,
    } as unknown as Parameters<typeof correlateRun>[0];
    const index = { lookup: async () => new Map([[MESSAGE, [named, ours]]]) };

    // Act
    const result = await correlateRun(store, index, run, new Set(['upload-c']));

    // Assess
    expect(result.earlierReclassified).toBe(0);
    expect(put).toEqual([]);
  });
});

describe('the entry of a receipt that named only outside recipients', () => {
  it('has no recipient: its outside list is the evidence, kept for mail from outside only', () => {
    const entries = entriesOf(
      row(20, 'RECEIVE', ['ap@litware.com', 'ar@litware.com']),
      // The organisation's own mail: never asked for, as for internal recipients.
      row(21, 'RECEIVE', ['ap@litware.com'], { messageId: 'own@contoso.com', returnPath: 'app@contoso.com' }),
      // Submitted (Originating): not a receipt of mail from outside.
      row(22, 'RECEIVE', ['ap@litware.com'], {
        messageId: 'sent@contoso.com',
        directionality: 'originating',
      }),
      // A delivery outside may be a forward's: no one the sender addressed.
      row(23, 'DELIVER', ['ap@litware.com'], { messageId: 'delivered@vendorapp.com' }),
    );
    expect(entries).toEqual([
      {
        messageId: MESSAGE,
        receivedAt: '2026-11-28T10:45:00.412Z',
        sourceId: 'upload-a',
        file: UPLOAD_A.file,
        eventId: 'RECEIVE',
        outside: ['ap@litware.com', 'ar@litware.com'],
      },
    ]);
    expect(InboundEntry.safeParse(entries[0]).success).toBe(true);
    expect(provesArrival(entries[0] as InboundEntry)).toBe(false);
  });

  it('is counted before its row ends, so a file with no other receipt still hands it on', () => {
    const entries = new InboundEntries(DOMAINS);
    for (const event of row(20, 'RECEIVE', ['ap@litware.com'])) entries.add(event, UPLOAD_A);
    expect(entries.length).toBe(1);
    expect(entries.take()).toHaveLength(1);
    expect(entries.length).toBe(0);
  });

  it('is one item per message, upload and day: a later envelope adds to the list', () => {
    const entries = entriesOf(
      row(20, 'RECEIVE', ['ap@litware.com']),
      row(24, 'RECEIVE', ['ar@litware.com']),
      // One naming an internal recipient too gives its list to that recipient's entry instead.
      row(25, 'RECEIVE', ['lee@contoso.com', 'po@litware.com']),
    );
    expect(entries.map((entry) => [entry.recipient, entry.outside])).toEqual([
      [undefined, ['ap@litware.com']],
      [undefined, ['ap@litware.com', 'ar@litware.com']],
      ['lee@contoso.com', ['po@litware.com']],
    ]);
    const [first, second, lee] = entries.map((entry) => inboundKey(entry));
    expect(second).toEqual(first);
    expect(first?.sk).toBe('2026-11-28#upload-a#');
    expect(lee?.sk).toBe('2026-11-28#upload-a#lee@contoso.com');
  });

  it('is stored without a recipient attribute, and a recipient-less entry must name outside recipients', () => {
    const [entry] = entriesOf(row(20, 'RECEIVE', ['ap@litware.com']));
    const item = inboundItem(entry as InboundEntry, 86_400);
    expect(item.sk).toEqual({ S: '2026-11-28#upload-a#' });
    expect(item.outside).toEqual({ L: [{ S: 'ap@litware.com' }] });
    expect('recipient' in item).toBe(false);
    const { outside: _outside, ...bare } = entry as InboundEntry;
    const parsed = InboundEntry.safeParse(bare);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['outside']);
  });

  it('of an entry with a recipient is the entry as rule evidence only: `addressedOnly`', () => {
    const receipt = LEE_RECEIPT;
    // A delivery names no one its sender addressed; a receipt names its own recipient too.
    expect(addressedOnly({ ...receipt, eventId: 'DELIVER' })).toBeUndefined();
    expect(addressedOnly(receipt)).toEqual({
      ...receipt,
      recipient: undefined,
      outside: ['lee@contoso.com'],
    });
    const only = addressedOnly({ ...receipt, outside: ['ap@litware.com'] });
    expect(only).toEqual({
      ...receipt,
      recipient: undefined,
      outside: ['ap@litware.com', 'lee@contoso.com'],
    });
    expect('recipient' in (only as InboundEntry)).toBe(false);
    expect(tracesOfEntries([only as InboundEntry])).toEqual([
      { kind: 'received-for', recipient: 'ap@litware.com', eventId: 'RECEIVE', line: 0 },
      { kind: 'received-for', recipient: 'lee@contoso.com', eventId: 'RECEIVE', line: 0 },
    ]);
  });
});

describe('the correlation of a refusal with an entry without a recipient', () => {
  const refusal = refusalIn('upload-c');
  const internal = LEE_RECEIPT;
  const addressed: InboundEntry = {
    messageId: MESSAGE,
    receivedAt: '2026-11-28T10:45:00.530Z',
    sourceId: 'upload-b',
    eventId: 'RECEIVE',
    outside: ['ap@litware.com'],
  };

  it('is no forwarding when that entry, in any upload, names the refused recipient', () => {
    expect(reclassifyAsForwarding(refusal, [internal, addressed])).toBeUndefined();
    expect(
      reclassifyAsForwarding(refusal, [internal, { ...addressed, sourceId: 'upload-c' }]),
    ).toBeUndefined();
    expect(
      reclassifyAsForwarding(refusal, [internal, { ...addressed, outside: [MORE_OUTSIDE] }]),
    ).toBeUndefined();
  });

  it('never takes it as the arrival that proves forwarding', () => {
    const other = { ...refusal, recipient: 'ar@litware.com' };
    // Alone it proves nothing, whoever was refused.
    expect(correlatingEntries(other, [addressed])).toEqual([]);
    // Beside a receipt for an internal recipient, the proof is that receipt only.
    const forwarded = reclassifyAsForwarding(other, [internal, addressed]);
    expect(forwarded?.scenario).toBe('forwarding');
    expect(forwarded?.forwardedFrom).toEqual({ kind: 'received-for', address: 'lee@contoso.com' });
    expect(forwarded?.evidence.map((item) => item.detail).join('\n')).not.toContain('undefined');
    expect(correlatingEntries(other, [internal, addressed])).toEqual([internal]);
  });
});
