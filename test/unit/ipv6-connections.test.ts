/**
 * Refusals of servers that reached Exchange Online over IPv6 (test/fixtures/real-world/ipv6-connections).
 * A connector's SenderIPAddresses takes IPv4 addresses only, so advice to list the server's address
 * cannot work while it connects over IPv6: found by a hunt, whose Postfix relay (`relay=…[2a01:…]:25`)
 * was told to add its public IPv4 address to a connector. The finding now says what the log showed
 * (evidence `ipv6-connection`), and the advice tells how to make the server connect over IPv4 in its
 * own software, or to identify it by certificate; advice that names no address stays as it was.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  IPV6_CONNECTION_EVIDENCE,
  ipv6ConnectionEvidence,
} from '../../functions/core/analysis/evidence/connection-family.js';
import { ReadingWithoutInbound } from '../../functions/core/analysis/evidence/correlation.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { capitalise } from '../../functions/core/analysis/remediation/shared.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { analyzeFiles } from '../support/analyze-text.js';

const SAMPLES = join(import.meta.dirname, '..', '..', 'sample-logs');
const IPV6 = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'ipv6-connections');
const OVER_IPV6 = 'reached Exchange Online over IPv6, and SenderIPAddresses takes IPv4 addresses only';
/** The scenarios whose advice may have a connector match the server by its IP address. */
const ADDRESS_ADVICE = new Set(['connector-mismatch', 'foreign-sender-domain', 'wrong-region']);

async function findingsOf(dir: string, name: string): Promise<Finding[]> {
  const content = await readFile(join(dir, name));
  const { findings, sources } = await analyzeFiles([{ name, content }], { year: 2026 });
  for (const source of sources) expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
  return findings;
}

const kinds = (finding: Finding) => finding.evidence.map((item) => item.kind);
const text = (finding: Finding) => JSON.stringify(finding.remediation);
/** Whether the advice has the server matched by IP address (IPv4) without the IPv6 warning. */
const saysOverIpv6 = (finding: Finding) => finding.remediation.steps.some((step) => step.includes(OVER_IPV6));

describe.each([
  ['postfix-mail.log', "postconf -e 'smtp_address_preference = ipv4' && postfix reload"],
  ['exim-mainlog.log', 'dns_ipv4_lookup = *.mail.protection.outlook.com : *.mx.microsoft'],
  ['sendmail-maillog.log', "CLIENT_OPTIONS(`Family=inet')dnl"],
  ['MSGTRK2026112800-1.LOG', 'DisabledComponents'],
  ['MSGTRK2026112800-2.LOG', 'DisabledComponents'],
  ['MSGTRK2013-EX2013.LOG', 'DisabledComponents'],
  ['SEND20261128-1.LOG', 'DisabledComponents'],
  ['historical-search-extended.csv', 'DisabledComponents'],
])('%s with IPv6 addresses', (name, ipv4Command) => {
  it('gives the findings of the sample, each with the IPv6 evidence', async () => {
    const [sample, ipv6] = await Promise.all([findingsOf(SAMPLES, name), findingsOf(IPV6, name)]);
    expect(ipv6.length).toBeGreaterThan(0);
    expect(ipv6.map((f) => [f.id, f.scenario])).toEqual(sample.map((f) => [f.id, f.scenario]));
    for (const finding of sample) expect(kinds(finding)).not.toContain(IPV6_CONNECTION_EVIDENCE);
    for (const finding of ipv6) expect(kinds(finding)).toContain(IPV6_CONNECTION_EVIDENCE);
  });

  it('tells how to connect over IPv4 wherever the advice would list the address, and changes no other advice', async () => {
    const [sample, ipv6] = await Promise.all([findingsOf(SAMPLES, name), findingsOf(IPV6, name)]);
    let told = 0;
    ipv6.forEach((finding, i) => {
      const before = sample[i] as Finding;
      expect(saysOverIpv6(before)).toBe(false);
      if (saysOverIpv6(finding)) {
        told += 1;
        expect(ADDRESS_ADVICE.has(finding.scenario)).toBe(true);
        expect(finding.remediation.commands.some((command) => command.includes(ipv4Command))).toBe(true);
      } else {
        expect(text(finding)).toBe(text(before));
      }
    });
    // Every sample file has a refusal whose advice names the server's IP address.
    expect(told).toBeGreaterThan(0);
  });
});

/** The findings of `names` of the IPv6 fixtures analysed together, by line. */
async function together(...names: string[]): Promise<Finding[]> {
  const files = await Promise.all(
    names.map(async (name) => ({ name, content: await readFile(join(IPV6, name)) })),
  );
  const { findings, sources } = await analyzeFiles(files, { year: 2026 });
  for (const source of sources) expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
  return findings;
}

describe('where else the address is', () => {
  it('a message trace: the Fail detail has no FromIP, the trace row of its trace id has', async () => {
    const findings = await together('message-trace.csv', 'message-trace-detail.csv');
    const refused = findings.filter((finding) => finding.scenario === 'connector-mismatch');
    expect(refused.length).toBeGreaterThan(0);
    for (const finding of refused) {
      expect(kinds(finding)).toContain(IPV6_CONNECTION_EVIDENCE);
      expect(saysOverIpv6(finding)).toBe(true);
    }
  });

  it('an Exchange queue row: its last error names the host, in either order of the two logs', async () => {
    for (const names of [
      ['MSGTRK2026112800-2.LOG', 'MSGTRK2026112800-1.LOG'],
      ['MSGTRK2026112800-1.LOG', 'MSGTRK2026112800-2.LOG'],
    ]) {
      const regions = (await together(...names)).filter((finding) => finding.scenario === 'wrong-region');
      expect(regions.length, names.join(' ')).toBeGreaterThan(0);
      for (const finding of regions) expect(saysOverIpv6(finding), names.join(' ')).toBe(true);
    }
  });

  it('sendmail naming its smart host by an address literal alone', async () => {
    const findings = await together('sendmail-literal.maillog');
    expect(findings.some(saysOverIpv6)).toBe(true);
    for (const finding of findings) expect(kinds(finding)).toContain(IPV6_CONNECTION_EVIDENCE);
  });

  it('is not IPv6 through NAT64, nor the hop to the outbound proxy front end', async () => {
    const [nat64, sample] = await Promise.all([
      findingsOf(IPV6, 'postfix-nat64.log'),
      findingsOf(SAMPLES, 'postfix-mail.log'),
    ]);
    expect(nat64.map(text)).toEqual(sample.map(text));
    for (const finding of nat64) expect(kinds(finding)).not.toContain(IPV6_CONNECTION_EVIDENCE);
    const proxied = await together('front-end-SEND2026112808-1.LOG');
    expect(proxied.length).toBeGreaterThan(0);
    for (const finding of proxied) {
      expect(kinds(finding)).not.toContain(IPV6_CONNECTION_EVIDENCE);
      expect(saysOverIpv6(finding)).toBe(false);
    }
  });
});

describe('the connection address', () => {
  const at = { timestamp: '2026-11-28T10:00:00.000Z', eventId: 'FAIL', line: 1 } as const;
  const refused = { enhancedCode: '5.7.64', text: '550 5.7.64 TenantAttribution' } as const;

  it('is read from where each side names it: the server log the peer, the trace the client', () => {
    expect(
      ipv6ConnectionEvidence({ ...at, serverIp: '2a01:111:f403:c901::1' }, refused, 'postfix-log'),
    ).toBeDefined();
    expect(
      ipv6ConnectionEvidence({ ...at, clientIp: '2a01:111:f403:c901::1' }, refused, 'postfix-log'),
    ).toBeUndefined();
    // A trace's server_ip is Exchange Online's own server: nothing of the on-premises connection.
    expect(
      ipv6ConnectionEvidence(
        { ...at, serverIp: '2603:10a6:208:e3::14' },
        refused,
        'historical-search-extended',
      ),
    ).toBeUndefined();
    expect(
      ipv6ConnectionEvidence({ ...at, clientIp: '2a02:8108::25' }, refused, 'message-trace'),
    ).toBeDefined();
  });

  it('is IPv4 when written as IPv6, and not on the internet when private or link-local', () => {
    for (const address of [
      '::ffff:52.101.1.1',
      '52.101.1.1',
      'fd00::25',
      'fe80::1',
      '::1',
      'IPv6:fe80::1',
      '64:ff9b::3465:101',
      '64:ff9b:1::3465:101',
    ]) {
      expect(
        ipv6ConnectionEvidence({ ...at, serverIp: address }, refused, 'exchange-tracking-log'),
      ).toBeUndefined();
    }
    expect(
      ipv6ConnectionEvidence({ ...at, serverIp: '[IPv6:2a01:111:f403:c901::1]' }, refused, 'sendmail-log'),
    ).toBeDefined();
  });
});

describe('a stored finding read again (a later upload takes back its forwarding reading)', () => {
  it('keeps the IPv6 advice, which its evidence carries', async () => {
    const reading = new ReadingWithoutInbound({ domains: parseAcceptedDomains('contoso.com', 'test') });
    const findings = await findingsOf(IPV6, 'postfix-mail.log');
    const told = findings.filter(saysOverIpv6);
    expect(told.length).toBeGreaterThan(0);
    for (const finding of told) {
      const read = reading.read(finding);
      expect(read?.scenario).toBe(finding.scenario);
      expect(read === undefined ? false : saysOverIpv6(read)).toBe(true);
      const withoutEvidence = {
        ...finding,
        evidence: finding.evidence.filter((item) => item.kind !== IPV6_CONNECTION_EVIDENCE),
      };
      const plain = reading.read(withoutEvidence);
      expect(plain === undefined ? true : saysOverIpv6(plain)).toBe(false);
    }
  });
});

describe('a relay named by its address', () => {
  it('starts a sentence as written: an IPv6 address is not capitalised', () => {
    expect(capitalise('fd00:10::80, a relay running Postfix')).toBe('fd00:10::80, a relay running Postfix');
    expect(capitalise('2a02:8108::80')).toBe('2a02:8108::80');
    expect(capitalise('relay01, a relay')).toBe('Relay01, a relay');
    expect(capitalise('your on-premises server')).toBe('Your on-premises server');
  });
});
