/**
 * The nightly job's pure parts: UTC days, the scheduled event, spike and first-seen rules,
 * index entries from trace events, the correlation's reclassification, Markdown escaping, the
 * alert summary and the SNS publisher (with a stand-in for the runtime's SNS client).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_MS, reclassifyAsForwarding } from '../../functions/core/analysis/evidence/correlation.js';
import { InboundEntry, inboundEntryOf } from '../../functions/core/analysis/evidence/inbound-entry.js';
import type { TraceEvent } from '../../functions/core/analysis/model/events.js';
import { ArgumentError, InvalidEventError } from '../../functions/core/kernel/errors.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { addDays, assertDay, daysBetween, previousDay } from '../../functions/nightly/dates.js';
import {
  findNewSenderDomains,
  isSpike,
  SPIKE_MIN_FINDINGS,
  SPIKE_MIN_RATIO,
} from '../../functions/nightly/day-comparison.js';
import { PublishError } from '../../functions/nightly/errors.js';
import { parseNightlyEvent } from '../../functions/nightly/event.js';
import { escapeMarkdown } from '../../functions/nightly/markdown.js';
import { RollupAccumulator } from '../../functions/nightly/rollups.js';
import { SnsPublisher } from '../../functions/nightly/sns-publisher.js';
import { asciiSubject, MAX_SUBJECT_LENGTH } from '../../functions/nightly/summary.js';
import { InboundIndex } from '../../functions/store/inbound-index.js';
import type { RollupItem } from '../../functions/store/index.js';
import { inboundPartition } from '../../functions/store/table-design.js';
import { makeFinding } from '../support/make-finding.js';

const DOMAINS = parseAcceptedDomains('contoso.com', 'test');

describe('UTC days', () => {
  it('steps across month and year ends and lists ranges inclusively', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(previousDay(new Date('2026-11-21T00:30:00+01:00'))).toBe('2026-11-19');
    expect(daysBetween('2026-11-29', '2026-12-01')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
    expect(daysBetween('2026-12-01', '2026-11-29')).toEqual([]);
  });

  it('refuses strings that are not calendar days', () => {
    expect(() => assertDay('2026-02-29')).toThrow(ArgumentError);
    expect(() => assertDay('2026-11-28T00:00:00Z')).toThrow(/not a YYYY-MM-DD calendar day/);
    expect(assertDay('2028-02-29')).toBe('2028-02-29');
  });
});

describe('the nightly event', () => {
  const now = new Date('2026-11-21T09:00:00Z');

  it('reports on the day before the schedule time, or on the date a re-run asks for', () => {
    expect(
      parseNightlyEvent({ 'detail-type': 'Scheduled Event', time: '2026-11-21T02:00:00Z', detail: {} }, now),
    ).toEqual({
      date: '2026-11-20',
    });
    expect(parseNightlyEvent({ detail: { date: '2026-11-01', lookBackDays: 0 } }, now)).toEqual({
      date: '2026-11-01',
      lookBackDays: 0,
    });
    expect(parseNightlyEvent(undefined, now)).toEqual({ date: '2026-11-20' });
  });

  it('refuses typos and out-of-range values with the field named', () => {
    expect(() => parseNightlyEvent({ detail: { dat: '2026-11-01' } }, now)).toThrow(InvalidEventError);
    expect(() => parseNightlyEvent({ detail: { lookBackDays: 30 } }, now)).toThrow(/detail\.lookBackDays/);
    expect(() => parseNightlyEvent('run', now)).toThrow(/not a nightly event/);
  });
});

describe('spikes and first-seen domains', () => {
  it('needs both the ratio and the minimum count', () => {
    expect(SPIKE_MIN_RATIO).toBe(2);
    expect(SPIKE_MIN_FINDINGS).toBe(5);
    expect(isSpike(5, 2.5)).toBe(true);
    expect(isSpike(5, 2.51)).toBe(false);
    expect(isSpike(4, 0)).toBe(false);
    expect(isSpike(5, 0)).toBe(true);
  });

  it('compares domains case-insensitively and ignores zero-count history rows', () => {
    const row = (date: string, senderDomain: string, count: number): RollupItem => ({
      date,
      scenario: 'ndr',
      senderDomain,
      server: 'ex01',
      count,
    });
    const today = [row('2026-11-20', 'Contoso.com', 2), row('2026-11-20', 'zero.example', 1)];
    const history = [row('2026-11-10', 'contoso.com', 1), row('2026-11-11', 'zero.example', 0)];
    expect(findNewSenderDomains(today, history).map((line) => line.domain)).toEqual(['zero.example']);
  });

  it('refuses to roll up a finding of another day', () => {
    const accumulator = new RollupAccumulator('2026-11-20');
    expect(() => accumulator.add(makeFinding({ timestamp: '2026-11-21T00:00:00.000Z' }))).toThrow(RangeError);
  });
});

describe('inbound index entries', () => {
  const base: TraceEvent = {
    timestamp: '2026-11-28T22:14:57.806Z',
    eventId: 'RECEIVE',
    messageId: 'abc@fabrikam.com',
    recipient: 'kate@contoso.com',
    directionality: 'incoming',
    line: 32,
  };
  const origin = { sourceId: 'upload-a', file: 'incoming/a.LOG' };

  it('come from receipts, deliveries and redirects of mail for internal recipients', () => {
    expect(inboundEntryOf(base, origin, DOMAINS)).toEqual({
      messageId: 'abc@fabrikam.com',
      recipient: 'kate@contoso.com',
      receivedAt: base.timestamp,
      sourceId: 'upload-a',
      file: 'incoming/a.LOG',
      eventId: 'RECEIVE',
    });
    const redirect = {
      ...base,
      eventId: 'REDIRECT',
      recipient: 'kate@tailspintoys.com',
      relatedRecipient: 'kate@contoso.com',
    };
    expect(inboundEntryOf(redirect, origin, DOMAINS)?.recipient).toBe('kate@contoso.com');
  });

  it('never come from originating receipts, outside or unknown recipients, or unusable ids', () => {
    expect(inboundEntryOf({ ...base, directionality: 'originating' }, origin, DOMAINS)).toBeUndefined();
    expect(inboundEntryOf({ ...base, recipient: 'kate@tailspintoys.com' }, origin, DOMAINS)).toBeUndefined();
    expect(inboundEntryOf({ ...base, eventId: 'SEND' }, origin, DOMAINS)).toBeUndefined();
    expect(inboundEntryOf({ ...base, messageId: 'x'.repeat(2000) }, origin, DOMAINS)).toBeUndefined();
    const unknown = { covers: () => undefined, basis: 'inferred' as const, domains: () => [] };
    expect(inboundEntryOf(base, origin, unknown)).toBeUndefined();
  });

  it('are keyed by a bounded hash of the Message-ID, with or without angle brackets', () => {
    expect(inboundPartition('<abc@fabrikam.com>')).toBe(inboundPartition('abc@fabrikam.com'));
    expect(inboundPartition('x'.repeat(5000))).toMatch(/^INBOUND#[0-9a-f]{32}$/);
  });

  it('are validated before anything is written', async () => {
    const index = new InboundIndex({ client: new DynamoDBClient({ region: 'local' }), tableName: 'unused' });
    const bad = {
      ...base,
      recipient: 'not-an-address',
      sourceId: 'a',
      receivedAt: base.timestamp,
    } as unknown as InboundEntry;
    await expect(index.record([bad])).rejects.toThrow(/invalid inbound entry \[0\]\.recipient/);
    expect(InboundEntry.safeParse({ ...bad, recipient: 'Kate@Contoso.com' }).data?.recipient).toBe(
      'kate@contoso.com',
    );
  });
});

describe('reclassification', () => {
  const finding = makeFinding({
    scenario: 'foreign-sender-domain',
    messageId: 'abc@fabrikam.com',
    recipient: 'kate@tailspintoys.com',
    senderDomain: 'fabrikam.com',
    returnPath: 'john@fabrikam.com',
    timestamp: '2026-11-28T22:15:03.000Z',
    confidence: 'high',
    source: { sourceId: 'upload-b' },
  });
  const entry: InboundEntry = {
    messageId: 'abc@fabrikam.com',
    recipient: 'kate@contoso.com',
    receivedAt: '2026-11-28T22:14:57.000Z',
    sourceId: 'upload-a',
  };

  it('tolerates a receipt logged slightly after the refusal by a clock running ahead', () => {
    const late = {
      ...entry,
      receivedAt: new Date(Date.parse(finding.timestamp) + CLOCK_SKEW_MS).toISOString(),
    };
    expect(reclassifyAsForwarding(finding, [late])?.scenario).toBe('forwarding');
  });

  it('is idempotent on its own output and lowers confidence without an envelope sender', () => {
    const once = reclassifyAsForwarding(finding, [entry]);
    expect(once && reclassifyAsForwarding(once, [entry])).toBeUndefined();
    const headerOnly = reclassifyAsForwarding({ ...finding, returnPath: undefined }, [entry]);
    expect(headerOnly?.confidence).toBe('low');
    expect(headerOnly?.remediation.commands.length).toBeGreaterThan(0);
  });
});

describe('report text', () => {
  it('escapes Markdown in values from log data', () => {
    expect(escapeMarkdown('a|b<script>`x`\n*y*')).toBe('a\\|b\\<script\\>\\`x\\` \\*y\\*');
  });

  it('keeps the SNS subject printable ASCII within the limit', () => {
    expect(asciiSubject('relay-audit — 2026-11-28')).toBe('relay-audit ? 2026-11-28');
    const long = asciiSubject('x'.repeat(300));
    expect(long).toHaveLength(MAX_SUBJECT_LENGTH);
    expect(long.endsWith('...')).toBe(true);
  });
});

describe('the SNS publisher', () => {
  // No SNS engine runs locally: aws-sdk-client-mock records the commands and injects the fault.
  const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alerts';

  it('publishes subject and body to the topic, creating the client once', async () => {
    const client = new SNSClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const sns = mockClient(client);
    sns.on(PublishCommand).resolves({ MessageId: '1' });
    let created = 0;
    const publisher = new SnsPublisher(TOPIC, () => {
      created += 1;
      return client;
    });
    await publisher.publish({ subject: 's', body: 'b' });
    await publisher.publish({ subject: 's2', body: 'b2' });
    expect(created).toBe(1);
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      { TopicArn: TOPIC, Subject: 's', Message: 'b' },
      { TopicArn: TOPIC, Subject: 's2', Message: 'b2' },
    ]);
  });

  it('turns an SNS failure into a PublishError naming the topic', async () => {
    const client = new SNSClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    mockClient(client)
      .on(PublishCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AuthorizationErrorException' }));
    const publisher = new SnsPublisher(TOPIC, () => client);
    await expect(publisher.publish({ subject: 's', body: 'b' })).rejects.toThrow(PublishError);
    await expect(publisher.publish({ subject: 's', body: 'b' })).rejects.toThrow(
      /cannot publish to arn:aws:sns:eu-west-1:123456789012:alerts: AuthorizationErrorException: denied/,
    );
  });
});
