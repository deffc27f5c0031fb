/**
 * A send protocol log analysed with the tracking log of the same server: the same refusal read from
 * both is one finding carrying both evidences (in either order of the files), and the certificate
 * the session presented decides the connector-mismatch remediation.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localInputs } from '../../bin/support/inputs.js';
import { analyze } from '../../functions/core/analysis/analyze.js';
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import type { InboundConnectorInfo } from '../../functions/core/organisation/connector-info.js';
import { MemorySink } from '../support/memory-sink.js';

const PROTOCOL = 'test/fixtures/protocol-logs/FrontEnd-SEND20261128-1.LOG';
const TRACKING = 'test/fixtures/protocol-logs/MSGTRK2026112814-1.LOG';

async function run(files: string[], inboundConnectors?: InboundConnectorInfo[], windowEvents?: number) {
  const domains = parseAcceptedDomains(
    await readFile('sample-logs/config/accepted-domains.csv', 'utf8'),
    'accepted-domains.csv',
  );
  const sink = new MemorySink();
  const result = await analyze(await localInputs(files), {
    domains,
    sink,
    inboundConnectors,
    windowEvents,
  });
  const findings = [...sink.findings.values()];
  for (const finding of findings) expect(Finding.safeParse(finding).success).toBe(true);
  const byRecipient = (recipient: string) => {
    const found = findings.find((finding) => finding.recipient === recipient);
    if (!found) throw new Error(`no finding for ${recipient}`);
    return found;
  };
  return { result, findings, byRecipient };
}

const kinds = (finding: Finding) => finding.evidence.map((evidence) => evidence.kind);

describe('a send protocol log with the tracking log of the same message', () => {
  it.each([
    ['protocol log first', [PROTOCOL, TRACKING], 'FrontEnd-SEND20261128-1.LOG', [38, 39]],
    ['tracking log first', [TRACKING, PROTOCOL], 'MSGTRK2026112814-1.LOG', [7, 7]],
  ])(
    'gives one finding per refused recipient carrying both evidences (%s)',
    async (_, files, firstFile, lines) => {
      const { result, findings, byRecipient } = await run(files);

      // 3 refusals in the protocol log (partner@ alone, accounts@ and ap@ also in the tracking log).
      expect(findings.map((finding) => finding.recipient).sort()).toEqual([
        'accounts@litware.com',
        'ap@litware.com',
        'partner@litware.com',
      ]);
      expect(result.duplicates).toBe(2);
      for (const source of result.sources) {
        expect(source.status).toBe('done');
        expect(source.rowsRead).toBe(source.rowsAnalysed + source.rowsSkipped);
      }
      const protocolSource = result.sources.find((source) => source.file === PROTOCOL);
      expect(protocolSource).toMatchObject({ format: 'exchange-protocol-log', rowsRead: 43, rejections: 3 });

      for (const [index, recipient] of ['accounts@litware.com', 'ap@litware.com'].entries()) {
        const finding = byRecipient(recipient);
        expect(finding.scenario).toBe('connector-mismatch');
        expect([basename(finding.source.file), finding.source.line]).toEqual([firstFile, lines[index]]);
        // What only the tracking log knows (subject) and what only the protocol log knows (certificate).
        expect(finding.subject).toBe('Payroll export November');
        expect(kinds(finding)).toEqual(
          expect.arrayContaining(['protocol-log', 'presented-certificate', 'certificate-accepted-domain']),
        );
        const certificate = finding.evidence.find((evidence) => evidence.kind === 'presented-certificate');
        expect(certificate?.detail).toContain(
          'presented CN=smtp.contoso.com, O=Contoso Ltd, C=US (SAN smtp.contoso.com, mail.contoso.com) after STARTTLS; thumbprint 5B8E2C0D71F94A36E8B0C5D2A7F1E4936C0B8D25',
        );
        // The other file is named: by the protocol-log line when the tracking row came first, else by an also-in line.
        const other = finding.evidence.find(
          (evidence) => evidence.kind === (firstFile.startsWith('MSGTRK') ? 'protocol-log' : 'also-in'),
        );
        expect(other?.detail).toMatch(
          firstFile.startsWith('MSGTRK')
            ? /^the send protocol log .*FrontEnd-SEND20261128-1\.LOG shows the refusal \(line 3[89], session 08DF1C44A0B7E2D1\)$/
            : /^the same refusal is in .*MSGTRK2026112814-1\.LOG line 7 \(tracking log\)$/,
        );
      }
      // The session without STARTTLS is evidence too.
      expect(kinds(byRecipient('partner@litware.com'))).toContain('no-tls');
    },
  );

  it('says so on the later file when the finding was released before its repeat was read (window too small)', async () => {
    const { result, byRecipient } = await run([TRACKING, PROTOCOL], undefined, 1);
    expect(kinds(byRecipient('accounts@litware.com'))).not.toContain('presented-certificate');
    const protocol = result.sources.find((source) => source.file === PROTOCOL);
    expect(protocol?.notes).toContainEqual({
      code: 'EVIDENCE_NOT_JOINED',
      message: expect.stringMatching(/^2 of its refusals repeat findings released before it was read/),
    });
    expect(result.sources.find((source) => source.file === TRACKING)?.notes).toBeUndefined();
  });

  it('says to change the connector when the certificate is usable and the connector expects another name', async () => {
    const { byRecipient } = await run(
      [PROTOCOL, TRACKING],
      [
        {
          name: 'Inbound from 7c1e4b2a',
          enabled: true,
          identifiesBy: 'certificate',
          tlsSenderCertificateName: 'hybrid.contoso.com',
        },
      ],
    );
    const finding = byRecipient('accounts@litware.com');
    expect(finding.evidence).toContainEqual({
      kind: 'certificate-vs-connector',
      detail:
        'the OnPremises connector "Inbound from 7c1e4b2a" expects hybrid.contoso.com; no name on the certificate matches it',
    });
    expect(finding.remediation.steps[0]).toContain(
      'Change the connector, not the certificate: set TlsSenderCertificateName of "Inbound from 7c1e4b2a" (it expects hybrid.contoso.com, which no name on the certificate matches) to *.contoso.com, which matches smtp.contoso.com',
    );
    expect(finding.remediation.commands).toContain(
      "Set-InboundConnector -Identity 'Inbound from 7c1e4b2a' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
    );
  });

  it('says the names are not the cause when the certificate already matches the connector', async () => {
    const { byRecipient } = await run(
      [PROTOCOL],
      [
        {
          name: 'Inbound from EX02',
          enabled: true,
          identifiesBy: 'certificate',
          tlsSenderCertificateName: '*.contoso.com',
        },
      ],
    );
    const finding = byRecipient('ap@litware.com');
    expect(finding.remediation.steps[0]).toMatch(
      /It matches \*\.contoso\.com of "Inbound from EX02", so the certificate names are not the cause/,
    );
    expect(finding.remediation.commands.join('\n')).not.toContain('-TlsSenderCertificateName');
  });
});

describe('the bundled send protocol log', () => {
  it('tells an NDR sent with a self-signed certificate to bind another certificate', async () => {
    const { byRecipient } = await run(['sample-logs/SEND20261128-1.LOG']);
    const ndr = byRecipient('orders@northwindtraders.com');
    expect(ndr.scenario).toBe('ndr');
    expect(ndr.evidence).toContainEqual({
      kind: 'certificate-no-accepted-domain',
      detail:
        'no name on the certificate (ex01.contoso.local) is in an accepted domain, so it cannot attribute mail to the tenant',
    });
    expect(ndr.remediation.steps.join('\n')).toContain(
      'presented CN=EX01 (SAN ex01.contoso.local) after STARTTLS. It is self-signed, so even a certificate-based connector cannot attribute these messages by it: bind a certificate from a public CA with a name in contoso.com to send connector "Relay to Office 365"',
    );
    const deferred = byRecipient('controller@woodgrovebank.com');
    expect(deferred).toMatchObject({
      scenario: 'wrong-region',
      code: '4.4.62',
      returnPath: 'reports@contoso.com',
    });
  });
});
