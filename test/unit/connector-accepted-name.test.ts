/**
 * Whether a connector's certificate name is the tenant's is one test for `check`
 * (connector-cert-name-not-accepted) and `analyze` (which connector fits a refusal): a host name
 * under an accepted domain with MatchSubDomains (fabrikam-group.com in the sample export) counts in
 * both, a host name under one without it (contoso.com) in neither.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { acceptedNameTest, chooseConnector } from '../../functions/core/organisation/connector-choice.js';
import type { InboundConnectorInfo } from '../../functions/core/organisation/connector-info.js';
import type { InboundConnector } from '../../functions/core/organisation/connectors.js';
import { connectorCertNameNotAccepted } from '../../functions/core/readiness/rules/connector-cert-name-not-accepted.js';

const EXPORT = 'sample-logs/config/accepted-domains.csv';
const domains = parseAcceptedDomains(readFileSync(EXPORT, 'utf8'), EXPORT);

function connector(tlsSenderCertificateName: string): InboundConnector {
  return {
    name: 'Inbound from EX01',
    enabled: true,
    connectorType: 'OnPremises',
    connectorSource: 'HybridWizard',
    senderIPAddresses: [],
    senderDomains: ['*'],
    requireTls: true,
    tlsSenderCertificateName,
    restrictDomainsToCertificate: true,
    restrictDomainsToIPAddresses: false,
    cloudServicesMailEnabled: true,
    associatedAcceptedDomains: [],
  };
}

/** The readiness check's verdict: accepted when connector-cert-name-not-accepted finds nothing. */
function checkAccepts(name: string): boolean {
  const outcome = connectorCertNameNotAccepted.evaluate({
    acceptedDomains: domains,
    connectors: [connector(name)],
    certificates: [],
    at: new Date('2026-12-01T00:00:00Z'),
  });
  return Array.isArray(outcome) && outcome.length === 0;
}

describe('a connector certificate name is accepted', () => {
  it.each([
    ['mail.fabrikam-group.com', true],
    ['smtp.eu.fabrikam-group.com', true],
    ['*.fabrikam-group.com', true],
    ['*.contoso.com', true],
    ['corp.contoso.com', true],
    ['mail.contoso.com', false],
    ['*.fabrikam.com', false],
  ])('%s: %s for check and analyze alike', (name, accepted) => {
    expect(checkAccepts(name)).toBe(accepted);
    expect(acceptedNameTest(domains)(name)).toBe(accepted);
  });

  it('lets analyze use the Hybrid wizard connector that names a host under a MatchSubDomains domain', () => {
    const hcw: InboundConnectorInfo = {
      name: 'Inbound from EX01',
      enabled: true,
      identifiesBy: 'certificate',
      tlsSenderCertificateName: 'mail.fabrikam-group.com',
    };
    const ip: InboundConnectorInfo = {
      name: 'Relay from on-premises apps',
      enabled: true,
      identifiesBy: 'ip',
    };
    const choice = chooseConnector([ip, hcw], {
      presentedNames: ['mail.fabrikam-group.com'],
      isAcceptedName: acceptedNameTest(domains),
      byCertificateDomain: true,
    });
    expect(choice?.role).toBe('use');
    expect(choice?.connector.name).toBe('Inbound from EX01');
  });

  it('over a bare list of names counts those names only, and with none only a wildcard', () => {
    expect(acceptedNameTest(['contoso.com'])('*.contoso.com')).toBe(true);
    expect(acceptedNameTest(['contoso.com'])('mail.contoso.com')).toBe(false);
    expect(acceptedNameTest([])('*.contoso.com')).toBe(true);
    expect(acceptedNameTest([])('contoso.com')).toBe(false);
  });
});
