/**
 * A 5.7.64 whose log kept no reply text of Exchange Online's (sendmail writes a permanent refusal as
 * `dsn=5.7.64, stat=Service unavailable`, its own words) tells nothing of ATTR36. Found by a hunt:
 * `foreign-sender-domain` and `forwarding` still gave such a refusal the `no-attr36` evidence and said
 * "The reply has no ATTR36, so no OnPremises inbound connector matched …". One fact, `replyTextSeen`
 * (evidence/rejections.ts), now decides it for the rules' evidence, the advice of all three scenarios
 * and the remediation cache's key, from a log row as from a stored finding.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../functions/core/analysis/analyze.js';
import { type EmittedFinding, StreamingClassifier } from '../../functions/core/analysis/classifier.js';
import {
  ReadingWithoutInbound,
  reclassifyAsForwarding,
} from '../../functions/core/analysis/evidence/correlation.js';
import { replyTextSeen } from '../../functions/core/analysis/evidence/rejections.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { remediationKey } from '../../functions/core/analysis/remediation/context-of.js';
import { type RemediationContext, remediationFor } from '../../functions/core/analysis/remediation/index.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { event, fail, NO_ATTR, origin } from '../support/events.js';
import { makeFinding } from '../support/make-finding.js';
import { MemorySink } from '../support/memory-sink.js';
import { chunked } from '../support/streams.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SENDMAIL_SAMPLE = join(ROOT, 'sample-logs', 'sendmail-maillog.log');
const FREEBSD = join(ROOT, 'test', 'fixtures', 'real-world', 'mail-log-wrappers', 'freebsd-syslogd-vv.log');
/** The rejection text relay-audit keeps of sendmail's `dsn=5.7.64, stat=Service unavailable`. */
const CODE_ONLY = '5.7.64 Service unavailable';

/** What no refusal without its reply text may be told. */
const CLAIMS = /has no ATTR36|, without ATTR36\)/;

async function acceptedDomains() {
  const csv = await readFile(join(ROOT, 'sample-logs', 'config', 'accepted-domains.csv'), 'utf8');
  return parseAcceptedDomains(csv, 'accepted-domains.csv');
}

/** Analyses one file with the samples' accepted domains, as `relay-audit analyze --accepted-domains`. */
async function findingsOf(path: string): Promise<Finding[]> {
  const bytes = await readFile(path);
  const sink = new MemorySink();
  const now = new Date('2026-12-05T12:00:00Z');
  await analyze([{ name: path, sourceId: path, size: bytes.length, open: () => chunked(bytes, 4096) }], {
    domains: await acceptedDomains(),
    sink,
    now: () => now,
    year: 2026,
  });
  return [...sink.findings.values()];
}

function refusalTo(findings: readonly Finding[], recipient: string): Finding {
  const finding = findings.find((item) => item.recipient === recipient);
  if (finding === undefined) throw new Error(`no finding for ${recipient}`);
  return finding;
}

/** The finding's evidence and advice say the reply text is missing, and claim no missing ATTR36. */
function expectNoClaim(finding: Finding, software = 'sendmail'): void {
  const kinds = finding.evidence.map((item) => item.kind);
  expect(kinds).toContain('reply-text-unknown');
  expect(kinds).not.toContain('no-attr36');
  const { explanation, steps } = finding.remediation;
  expect([explanation, ...steps].join('\n')).not.toMatch(CLAIMS);
  expect(explanation).toContain(`: ${software} logs only the code, not Exchange Online's reply text`);
}

describe('replyTextSeen', () => {
  it("tells Exchange Online's reply from the code alone", () => {
    expect(replyTextSeen({ text: NO_ATTR })).toBe(true);
    expect(replyTextSeen({ text: '550 5.7.64 Relay Access Denied' })).toBe(true);
    expect(replyTextSeen({ text: CODE_ONLY })).toBe(false);
    expect(replyTextSeen({ text: CODE_ONLY, attr: 'ATTR36' })).toBe(true);
  });
});

describe('foreign-sender-domain from a log without the reply text', () => {
  it('sample-logs/sendmail-maillog.log, buyer@wingtiptoys.com', async () => {
    const finding = refusalTo(await findingsOf(SENDMAIL_SAMPLE), 'buyer@wingtiptoys.com');
    expect(finding.scenario).toBe('foreign-sender-domain');
    expectNoClaim(finding);
    expect(finding.remediation.explanation).toContain(
      'Whether an OnPremises inbound connector matched mailgw is not known',
    );
    expect(finding.remediation.steps.join('\n')).toContain(
      'Whichever of the two you choose, make sure a connector matches mailgw too',
    );
  });

  it('FreeBSD sendmail (test/fixtures/real-world/mail-log-wrappers), vendor@adatum.com', async () => {
    const finding = refusalTo(await findingsOf(FREEBSD), 'vendor@adatum.com');
    expect(finding.scenario).toBe('foreign-sender-domain');
    expectNoClaim(finding);
  });
});

const domains = parseAcceptedDomains('contoso.com', 'test');

/** Findings of one classifier run over `rows`. */
function classify(rows: ReturnType<typeof event>[]): Finding[] {
  const classifier = new StreamingClassifier({ domains });
  const out: EmittedFinding[] = [];
  for (const row of rows) {
    classifier.push(row, origin('MSGTRK20261128-1.LOG'));
    out.push(...classifier.drain());
  }
  classifier.flush();
  return [...out, ...classifier.drain()].map((emitted) => emitted.finding);
}

/** A message from john@fabrikam.com received for kate@contoso.com, redirected outside and refused with `status`. */
function redirected(messageId: string, status: string): ReturnType<typeof event>[] {
  return [
    event({
      eventId: 'RECEIVE',
      source: 'SMTP',
      messageId,
      recipient: 'kate@contoso.com',
      returnPath: 'john@fabrikam.com',
    }),
    event({
      eventId: 'REDIRECT',
      source: 'ROUTING',
      messageId,
      recipient: 'kate@tailspintoys.com',
      relatedRecipient: 'kate@contoso.com',
      returnPath: 'john@fabrikam.com',
    }),
    fail(messageId, 'kate@tailspintoys.com', 'john@fabrikam.com', status, { serverHostname: 'EX01' }),
  ];
}

describe('forwarding from a log without the reply text', () => {
  it('has reply-text-unknown evidence and says whether a connector matched is not known', () => {
    const [finding] = classify(redirected('<fwd-code-only@fabrikam.com>', CODE_ONLY));
    expect(finding?.scenario).toBe('forwarding');
    const kinds = finding?.evidence.map((item) => item.kind) ?? [];
    expect(kinds).toContain('reply-text-unknown');
    expect(kinds).not.toContain('no-attr36');
    const text = [finding?.remediation.explanation, ...(finding?.remediation.steps ?? [])].join('\n');
    expect(text).not.toMatch(CLAIMS);
    expect(text).toContain("the log holds only the code, not Exchange Online's reply text");
    expect(text).toContain('Whatever you change of the forwarding, make sure a connector matches EX01 too');
  });

  it('does not share the cached text of the same refusal with its reply text', () => {
    const findings = classify([
      ...redirected('<fwd-a@fabrikam.com>', NO_ATTR),
      ...redirected('<fwd-b@fabrikam.com>', CODE_ONLY),
    ]);
    const [withReply, codeOnly] = ['<fwd-a@fabrikam.com>', '<fwd-b@fabrikam.com>'].map((id) =>
      findings.find((finding) => finding.messageId === id),
    );
    expect(withReply?.remediation.explanation).toContain('The reply has no ATTR36');
    expect(codeOnly?.remediation.explanation).not.toContain('The reply has no ATTR36');
    const facts = { code: '5.7.64', senderDomain: 'fabrikam.com' };
    expect(remediationKey('forwarding', facts)).not.toBe(
      remediationKey('forwarding', { ...facts, replyTextSeen: false }),
    );
  });
});

describe('a stored finding without the reply text, read again', () => {
  const refused = 'kate@tailspintoys.com';
  const messageId = 'sendmail-code-only@mail.fabrikam.com';
  const stored = (scenario: Finding['scenario'], evidence: Finding['evidence']): Finding => {
    const finding = makeFinding({
      scenario,
      messageId,
      recipient: refused,
      recipientDomain: 'tailspintoys.com',
      sender: 'john@fabrikam.com',
      returnPath: 'john@fabrikam.com',
      senderDomain: 'fabrikam.com',
      rejectionText: CODE_ONLY,
      evidence,
      source: { sourceId: 'run-2' },
    });
    delete finding.attr;
    return finding;
  };

  it('made forwarding by the correlation: no claim of a missing ATTR36', () => {
    const finding = stored('foreign-sender-domain', [
      { kind: 'return-path', detail: 'envelope sender (P1) is john@fabrikam.com' },
    ]);
    const updated = reclassifyAsForwarding(finding, [
      {
        messageId,
        recipient: 'kate@contoso.com',
        receivedAt: new Date(Date.parse(finding.timestamp) - 60_000).toISOString(),
        sourceId: 'run-1',
        eventId: 'RECEIVE',
      },
    ]);
    expect(updated?.scenario).toBe('forwarding');
    const text = [updated?.remediation.explanation, ...(updated?.remediation.steps ?? [])].join('\n');
    expect(text).not.toMatch(CLAIMS);
    expect(text).toContain('make sure a connector matches');
  });

  it('read without its receipts: one reply-text-unknown line, as the rule gives it', () => {
    const finding = stored('forwarding', [
      { kind: 'return-path', detail: 'envelope sender (P1) is john@fabrikam.com' },
      { kind: 'foreign-recipient', detail: 'recipient domain tailspintoys.com is outside the organisation' },
      { kind: 'reply-text-unknown', detail: 'the log gives only the code 5.7.64' },
      { kind: 'internal-recipient', detail: 'the same Message-ID was received for kate@contoso.com' },
    ]);
    const read = new ReadingWithoutInbound({ domains }).read(finding);
    expect(read?.scenario).toBe('foreign-sender-domain');
    expect(read?.evidence.map((item) => item.kind)).toEqual([
      'return-path',
      'not-accepted',
      'reply-text-unknown',
    ]);
    expect(read?.remediation.explanation).not.toMatch(CLAIMS);
  });
});

describe('the connector-mismatch template decides by the fact, not by the log format', () => {
  const context: RemediationContext = {
    senderDomain: 'contoso.com',
    acceptedDomains: ['contoso.com'],
    acceptedDomainsSource: 'given',
    serverHostname: 'relay01',
    code: '5.7.64',
  };

  it('a relay whose log kept the reply: without ATTR36, even from sendmail', () => {
    expect(remediationFor('connector-mismatch', { ...context, relay: 'sendmail' }).explanation).toContain(
      '(5.7.64, without ATTR36)',
    );
  });

  it('a log without the reply text: not known, whatever the software', () => {
    const postfix = remediationFor('connector-mismatch', {
      ...context,
      relay: 'postfix',
      replyTextSeen: false,
    });
    expect(postfix.explanation).toContain(
      "(5.7.64; Postfix logs only the code, not Exchange Online's reply text, so whether it had ATTR36 is not known)",
    );
    const exchange = remediationFor('connector-mismatch', { ...context, replyTextSeen: false });
    expect(exchange.explanation).not.toMatch(CLAIMS);
  });
});
