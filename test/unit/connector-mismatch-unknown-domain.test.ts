/**
 * A 5.7.64 `connector-mismatch` whose sender domain nothing shows to be accepted
 * (test/fixtures/real-world/connector-mismatch-unknown-domain): found by a hunt, whose advice called
 * fabrikam.com "one of your domains" (the list was inferred, but did not hold it) and said "without
 * ATTR36" of a sendmail line that keeps only the code. The advice now says the domain's status is not
 * known with its choices, and says what the log lacks instead of an ATTR36 it cannot see.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { type RemediationContext, remediationFor } from '../../functions/core/analysis/remediation/index.js';
import { InferredDomains } from '../../functions/core/organisation/accepted-domains.js';
import { MemorySink } from '../support/memory-sink.js';
import { chunked } from '../support/streams.js';

const FIXTURES = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'real-world',
  'connector-mismatch-unknown-domain',
);
const SAMPLES = join(import.meta.dirname, '..', '..', 'sample-logs');

/** Analyses the files without a list of accepted domains, as `relay-audit analyze` without `--accepted-domains`. */
async function findingsOf(...paths: string[]): Promise<Finding[]> {
  const inputs = await Promise.all(
    paths.map(async (path) => {
      const bytes = await readFile(path);
      return { name: path, sourceId: path, size: bytes.length, open: () => chunked(bytes, 4096) };
    }),
  );
  const sink = new MemorySink();
  const now = new Date('2026-12-05T12:00:00Z');
  await analyze(inputs, { domains: new InferredDomains(), sink, now: () => now, year: 2026 });
  return [...sink.findings.values()];
}

function refusalTo(findings: readonly Finding[], recipient: string, format: string): Finding {
  const finding = findings.find((item) => item.recipient === recipient && item.source.format === format);
  if (finding === undefined) throw new Error(`no finding for ${recipient} in ${format}`);
  return finding;
}

/** What the advice must hold for a domain whose status is not known. */
function expectUnknownDomainAdvice(finding: Finding): void {
  const { explanation, steps, commands, title } = finding.remediation;
  expect(explanation).not.toMatch(/one of your (?:own )?domains|is an accepted domain of your tenant,/);
  expect(explanation).toContain('Whether fabrikam.com is an accepted domain of your tenant is not known');
  expect(title).toContain('Check whether fabrikam.com is accepted');
  const text = steps.join('\n');
  expect(text).toContain('If your organisation owns fabrikam.com, add it as an accepted domain');
  expect(text).toContain('change the sender of the application or device that sends from fabrikam.com');
  expect(text).toContain('relay by a certificate-based connector');
  expect(text).not.toContain('Because fabrikam.com is accepted');
  expect(commands[0]).toMatch(/^Get-AcceptedDomain/);
}

describe('connector-mismatch for a sender domain not known to be accepted', () => {
  it('sendmail alone: says the domain is not known and that the log has no reply text', async () => {
    const finding = refusalTo(
      await findingsOf(join(FIXTURES, 'maillog')),
      'buyer@wingtiptoys.com',
      'sendmail-log',
    );
    expect(finding.scenario).toBe('connector-mismatch');
    expect(finding.confidence).toBe('low');
    const kinds = finding.evidence.map((item) => item.kind);
    expect(kinds).toContain('reply-text-unknown');
    expect(kinds).toContain('domain-unknown');
    expect(kinds).not.toContain('no-attr36');
    expect(finding.remediation.explanation).not.toContain('without ATTR36');
    expect(finding.remediation.explanation).toContain(
      "sendmail logs only the code, not Exchange Online's reply text, so whether it had ATTR36 is not known",
    );
    expectUnknownDomainAdvice(finding);
  });

  it('Postfix, which logs the reply: keeps "without ATTR36" but not "one of your domains"', async () => {
    const finding = refusalTo(
      await findingsOf(join(FIXTURES, 'mail.log')),
      'buyer@wingtiptoys.com',
      'postfix-log',
    );
    expect(finding.scenario).toBe('connector-mismatch');
    expect(finding.evidence.map((item) => item.kind)).toContain('no-attr36');
    expect(finding.remediation.explanation).toContain('(5.7.64, without ATTR36)');
    expectReplyBlamesConnector(finding.remediation);
  });

  it('with domains inferred from other logs: names them, and keeps the advice of a domain they show', async () => {
    const findings = await findingsOf(
      join(SAMPLES, 'sendmail-maillog.log'),
      join(SAMPLES, 'MSGTRK2026112800-1.LOG'),
    );
    const foreign = refusalTo(findings, 'buyer@wingtiptoys.com', 'sendmail-log');
    expectUnknownDomainAdvice(foreign);
    expect(foreign.remediation.explanation).toMatch(
      /fabrikam\.com is not among the domains the logs show as yours \([^)]*contoso\.com/,
    );
    // contoso.com is shown by the tracking log: the connector advice, without a claim about ATTR36.
    const own = refusalTo(findings, 'orders@adventure-works.com', 'sendmail-log');
    expect(own.scenario).toBe('connector-mismatch');
    expect(own.evidence.map((item) => item.kind)).toEqual([
      'return-path',
      'accepted-domain',
      'reply-text-unknown',
    ]);
    expect(own.remediation.explanation).toContain(
      'sent mail from contoso.com, which the logs show as one of your domains',
    );
    expect(own.remediation.explanation).not.toContain('without ATTR36');
    expect(own.remediation.title).toBe(
      'Let Exchange Online recognise mailgw (sendmail) by its IP address or certificate',
    );
  });
});

describe('the connector-mismatch template', () => {
  const inferred: RemediationContext = {
    senderDomain: 'fabrikam.com',
    acceptedDomains: ['contoso.com', 'corp.contoso.com'],
    acceptedDomainsSource: 'inferred',
    serverHostname: 'EX01.contoso.local',
    code: '5.7.64',
  };

  it('does not call a domain the inferred list lacks one of yours (Exchange)', () => {
    const result = remediationFor('connector-mismatch', inferred);
    expect(result.explanation).not.toContain('the logs show as one of your domains');
    expect(result.explanation).toContain('fabrikam.com is not among the domains the logs show as yours');
    expect(result.explanation).toContain('(5.7.64, without ATTR36)');
    expectReplyBlamesConnector(result);
  });

  it('keeps the connector advice for a domain the inferred list holds', () => {
    const result = remediationFor('connector-mismatch', { ...inferred, senderDomain: 'corp.contoso.com' });
    expect(result.title).toBe('Make the inbound connector match the server again');
    expect(result.explanation).toContain('which the logs show as one of your domains');
    expect(result.steps.join('\n')).not.toContain('add it as an accepted domain');
  });
});

/**
 * A reply seen without ATTR36 says no connector matched the server, whatever the domain (Exchange
 * Online adds ATTR36 when one matched and the domain is not accepted): the connector leads, the
 * domain of unknown status is checked after it, and it is never called one of yours.
 */
function expectReplyBlamesConnector(remediation: {
  title: string;
  explanation: string;
  commands: string[];
}): void {
  expect(remediation.title).not.toMatch(/^Check whether/);
  expect(remediation.explanation).not.toContain('one of your domains');
  expect(remediation.explanation).toContain('whose status as an accepted domain is not known');
  expect(remediation.explanation).toMatch(
    /Once a connector matches, mail from a domain that is not accepted is refused with ATTR36/,
  );
  expect(remediation.explanation).not.toContain('that alone explains the refusal');
  expect(remediation.commands[0]).toMatch(/^Get-AcceptedDomain/);
}
