/**
 * The advice for refusals Microsoft's relay KB articles and an admin's report describe, read from the
 * logs that show them (test/fixtures/real-world/remediation-kb-cases): the IIS SMTP service presents
 * a certificate with its chain (KB 3212877); a certificate one level below what an accepted domain
 * covers is fixed first by registering its subdomain (KB 4019940); a refusal without ATTR36 from an
 * unaccepted sender keeps saying that no connector matched either.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/remediation-kb-cases';

/** The one finding of `file`, analysed with `accepted` as the accepted domains. */
async function findingOf(file: string, accepted: string): Promise<Finding> {
  const content = await readFile(`${DIR}/${file}`);
  const { findings } = await analyzeFiles([{ name: file, content }], { accepted });
  expect(findings).toHaveLength(1);
  return findings[0] as Finding;
}

/** Everything the advice says. */
const textOf = ({ remediation }: Finding): string =>
  [remediation.title, remediation.explanation, ...remediation.steps, ...remediation.commands].join('\n');

/** What the advice said while it held that the IIS SMTP service could present no certificate. */
const CANNOT = /cannot present|presents no client certificate|through a server that can present/;

describe('KB 3212877: an IIS SMTP relay presents its certificate, with the chain from the machine store', () => {
  it('connector-mismatch: the certificate step, the chain import, no step against it', async () => {
    const finding = await findingOf('i01-kb3212877.ex161201.log', 'servername.com');
    expect(finding.scenario).toBe('connector-mismatch');
    const { explanation, steps, commands } = finding.remediation;
    expect(explanation).toMatch(
      /^CORP-SMTP1, a relay running the IIS SMTP service, sent mail from servername\.com/,
    );
    expect(textOf(finding)).not.toMatch(CANNOT);
    expect(textOf(finding)).not.toMatch(/\ba the\b/);
    expect(steps.join('\n')).toMatch(
      /Access tab, Certificate, .*Outbound Security, select TLS encryption; .*\(Cert:\\LocalMachine\\CA, command below\)/,
    );
    expect(commands).toContain(
      "Import-Certificate -FilePath 'C:\\certs\\<intermediate CA certificate>.cer' -CertStoreLocation Cert:\\LocalMachine\\CA",
    );
  });

  it('ndr: the certificate-based connector and the same certificate step, as for every relay', async () => {
    const finding = await findingOf('i02-ndr-attr36.ex161201.log', 'servername.com');
    expect(finding.scenario).toBe('ndr');
    expect(textOf(finding)).not.toMatch(CANNOT);
    expect(finding.remediation.steps.join('\n')).toMatch(/Make the IIS SMTP service present the certificate/);
    expect(finding.remediation.commands.join('\n')).toMatch(/-TlsSenderCertificateName \*\.servername\.com/);
  });
});

describe('KB 4019940: a certificate on hostname.subdomain.contoso.com with only contoso.com accepted', () => {
  const REGISTER = 'register subdomain.contoso.com as a domain of the tenant';
  const CHECK = 'Get-AcceptedDomain -Identity subdomain.contoso.com | Format-List DomainName,DomainType';

  it('connector-mismatch: registering the subdomain first, with its command, then the other certificate', async () => {
    const finding = await findingOf('x03-subdomain-cert.SEND20240124-1.LOG', 'contoso.com');
    expect(finding.scenario).toBe('connector-mismatch');
    // The name is under contoso.com: the evidence says why it does not count, not that it is outside.
    expect(finding.evidence).toContainEqual({
      kind: 'certificate-no-accepted-domain',
      detail:
        'hostname.subdomain.contoso.com on the certificate is under contoso.com, but only a name directly in an ' +
        'accepted domain counts: subdomain.contoso.com is not accepted (KB 4019940), so the certificate cannot ' +
        'attribute mail to the tenant',
    });
    const first = finding.remediation.steps[0] ?? '';
    expect(first).toContain(`Preferably keep the certificate: ${REGISTER}`);
    expect(first).toContain('(KB 4019940)');
    expect(first.indexOf(REGISTER)).toBeLessThan(first.indexOf('Or change the certificate'));
    const { commands } = finding.remediation;
    expect(commands.indexOf(CHECK)).toBeGreaterThan(-1);
    expect(commands.indexOf(CHECK)).toBeLessThan(
      commands.findIndex((c) => c.startsWith('Set-SendConnector')),
    );
  });

  it('foreign-sender-domain: the accepted domain step registers it; the certificate step is the alternative', async () => {
    const finding = await findingOf('x02-kb4019940.SEND20240124-1.LOG', 'contoso.com');
    expect(finding.scenario).toBe('foreign-sender-domain');
    const { steps, commands } = finding.remediation;
    const registers = steps.findIndex((step) => step.includes(`Preferably ${REGISTER}`));
    const rebinds = steps.findIndex((step) => step.includes('unless you register subdomain.contoso.com'));
    expect(registers).toBeGreaterThan(-1);
    expect(rebinds).toBeGreaterThan(registers);
    expect(steps.join('\n')).not.toMatch(/None of its names is in an accepted domain, so even/);
    expect(commands).toContain(CHECK);
    // Kept, the certificate's own name is the one the send connector's FQDN must carry.
    expect(commands.join('\n')).toContain('-Fqdn hostname.subdomain.contoso.com');
  });
});

describe('a refusal without ATTR36 from an unaccepted sender (ictfax #76, Exim)', () => {
  it('stays foreign-sender-domain, keeps no-attr36 and says the connector must match too', async () => {
    const finding = await findingOf('e01-ictfax76.mainlog', 'domain.com.au');
    expect(finding.scenario).toBe('foreign-sender-domain');
    expect(finding.evidence).toContainEqual({
      kind: 'no-attr36',
      detail: 'no ATTR36: the connection matched no connector (certificate or IP)',
    });
    const { explanation, steps } = finding.remediation;
    expect(explanation).toContain('The reply has no ATTR36, so no OnPremises inbound connector matched');
    expect(steps[2]).toMatch(
      /^Whichever of the two you choose, a connector must match .* too: the refusal has no ATTR36/,
    );
  });
});
