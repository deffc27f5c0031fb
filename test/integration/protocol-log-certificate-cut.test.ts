/**
 * The certificate a send protocol log names after STARTTLS, one row per value (`Sending certificate`,
 * then subject, issuer, serial number, thumbprint, validity, alternate names), when the log rolls
 * over (SendProtocolLogMaxFileSize) inside those rows: the next file goes on with the same session
 * id and the next sequence numbers. Read together, in either order, the refusal cites the certificate
 * the whole log names — its alternate names too, which decide whether the connector's name matches.
 * And a deferral retried in a later session that presented the renewed certificate cites that one,
 * counted once, at the first attempt's time.
 * Fixtures: test/fixtures/real-world/protocol-log-certificate-cut/ (described in its README.md).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import {
  isOnPremises,
  parseInboundConnectors,
  toInboundConnectorInfo,
} from '../../functions/core/organisation/connectors.js';
import { analyzeFiles, type TextFile } from '../support/analyze-text.js';
import { MemorySink } from '../support/memory-sink.js';

const DIR = 'test/fixtures/real-world/protocol-log-certificate-cut';
const WHOLE = `${DIR}/whole/SEND2026112815-1.LOG`;
const ROLLED = [`${DIR}/rolled-over/SEND2026112815-1.LOG`, `${DIR}/rolled-over/SEND2026112815-2.LOG`];
const RETRIED = `${DIR}/retry-renewed/SEND20261128-1.LOG`;

async function run(files: readonly string[]) {
  const text = await readFile('sample-logs/config/inbound-connectors.json', 'utf8');
  const sink = new MemorySink();
  const result = await analyze(await localInputs([...files]), {
    domains: parseAcceptedDomains('contoso.com', 'accepted'),
    sink,
    inboundConnectors: parseInboundConnectors(text, 'inbound-connectors.json')
      .filter(isOnPremises)
      .map(toInboundConnectorInfo),
  });
  return { result, findings: [...sink.findings.values()] };
}

const detailOf = (finding: Finding | undefined, kind: string) =>
  finding?.evidence.find((evidence) => evidence.kind === kind)?.detail;

/** What a finding says but where its refusal was read (file and line). */
function said(finding: Finding): string {
  const { source: _source, evidence, ...rest } = finding;
  return JSON.stringify({ ...rest, evidence: evidence.filter((e) => e.kind !== 'protocol-log') });
}

/** The log cut after each of its `rows`-th rows (ascending): each next file begins with the header lines again. */
function cut(text: string, rows: readonly number[]): TextFile[] {
  const lines = text.split('\r\n').filter((line) => line !== '');
  const head = lines.filter((line) => line.replace(/^\uFEFF/, '').startsWith('#'));
  const body = lines.filter((line) => !line.replace(/^\uFEFF/, '').startsWith('#'));
  return [0, ...rows].map((from, at) => ({
    name: `SEND2026112815-${at + 1}.LOG`,
    content: `${[...head, ...body.slice(from, rows[at] ?? body.length)].join('\r\n')}\r\n`,
  }));
}

describe('a send protocol log that rolled over inside the certificate rows', () => {
  it('cites the certificate the whole log names, alternate names included, whichever file is read first', async () => {
    const whole = await run([WHOLE]);
    for (const files of [ROLLED, [...ROLLED].reverse()]) {
      const { findings } = await run(files);
      expect(findings).toHaveLength(1);
      const [finding] = findings;
      expect(detailOf(finding, 'presented-certificate')).toContain(
        '(SAN smtp.contoso.com, mail.contoso.com)',
      );
      expect(detailOf(finding, 'certificate-vs-connector')).toContain(
        'expects mail.contoso.com, which a name on the certificate matches',
      );
      expect(findings.map(said)).toEqual(whole.findings.map(said));
    }
  });

  it('gives the whole log’s finding when cut once or twice anywhere in the certificate rows, in either order', async () => {
    const text = await readFile(WHOLE, 'utf8');
    const { findings: whole } = await analyzeFiles([{ name: 'SEND2026112815-1.LOG', content: text }]);
    expect(detailOf(whole[0], 'presented-certificate')).toContain('mail.contoso.com)');
    const body = cut(text, [])[0]?.content.toString().split('\r\n') ?? [];
    // From the 220 answering STARTTLS to the EHLO after the remote's certificate.
    const first = body.findIndex((line) => line.endsWith(',Sending certificate')) - 5;
    const last = body.findIndex((line, at) => at > first + 5 && line.includes(',>,EHLO ')) - 5;
    expect(last - first).toBeGreaterThan(10);
    const cuts: number[][] = [];
    for (let at = first; at <= last; at++) {
      cuts.push([at]);
      for (let second = at + 1; second <= last; second++) cuts.push([at, second]);
    }
    for (const rows of cuts) {
      const files = cut(text, rows);
      for (const order of [files, [...files].reverse()]) {
        const { findings } = await analyzeFiles(order);
        const label = `cut after rows ${rows.join(', ')}, ${order[0]?.name} first`;
        expect(findings.map(said), label).toEqual(whole.map(said));
      }
    }
  });
});

describe('a deferral retried in a later session that presented the renewed certificate', () => {
  it('cites the later certificate, counted once at the first attempt’s time', async () => {
    const { result, findings } = await run([RETRIED]);
    expect(findings).toHaveLength(1);
    expect(result.duplicates).toBe(1);
    const [finding] = findings;
    expect(finding?.timestamp).toBe('2026-11-28T09:00:00.175Z');
    expect(finding?.source.line).toBe(31);
    expect(detailOf(finding, 'presented-certificate')).toContain(
      'thumbprint BBBB333333333333333333333333333333333333',
    );
    expect(finding?.evidence.map((e) => e.kind)).not.toContain('certificate-expired');
    expect(detailOf(finding, 'protocol-log')).toContain('(line 62, session 08DF3C0000000002)');
    // The earlier attempt is named among the other readings of the refusal.
    expect(detailOf(finding, 'also-in')).toContain('SEND20261128-1.LOG line 31');
  });

  it('cites the later certificate when the two attempts are in two files, whichever is read first', async () => {
    const text = await readFile(RETRIED, 'utf8');
    const lines = text.split('\r\n');
    const firstAttempt = lines.filter((line) => !line.includes(',08DF3C0000000002,'));
    const secondAttempt = lines.filter((line) => !line.includes(',08DF3C0000000001,'));
    const files: TextFile[] = [
      { name: 'SEND20261128-1.LOG', content: firstAttempt.join('\r\n') },
      { name: 'SEND20261128-2.LOG', content: secondAttempt.join('\r\n') },
    ];
    for (const order of [files, [...files].reverse()]) {
      const { findings } = await analyzeFiles(order);
      expect(findings).toHaveLength(1);
      expect(detailOf(findings[0], 'presented-certificate'), order[0]?.name).toContain('thumbprint BBBB');
    }
  });
});
