import { describe, expect, it } from 'vitest';
import { Remediation, SCENARIO_IDS, type ScenarioId } from '../../functions/core/analysis/model/findings.js';
import {
  organisationDomain,
  type RemediationContext,
  remediationFor,
  SCENARIO_DESCRIPTIONS,
} from '../../functions/core/analysis/remediation/index.js';
import { PLACEHOLDER_DOMAIN } from '../../functions/core/kernel/placeholders.js';
import { psArg, psQuote } from '../../functions/core/kernel/powershell.js';

/** A contoso.com organisation whose EX01 relays through Exchange Online. */
const contoso: RemediationContext = {
  senderDomain: 'contoso.com',
  recipientDomain: 'tailspintoys.com',
  sender: 'john@contoso.com',
  returnPath: 'john@contoso.com',
  recipient: 'kate@tailspintoys.com',
  acceptedDomains: ['contoso.com'],
  acceptedDomainsSource: 'given',
  serverHostname: 'EX01.contoso.com',
  connectorId: 'EX01\\Outbound to Office 365',
  remoteHost: 'AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
  attr: 'ATTR36',
  code: '5.7.64',
};
/** The same without ATTR36: a context leaves out what it does not know. */
const { attr: _attr, ...withoutAttr } = contoso;

const contexts: Record<ScenarioId, RemediationContext> = {
  ndr: { ...contoso, returnPath: '', sender: 'postmaster@contoso.com' },
  forwarding: {
    ...contoso,
    senderDomain: 'fabrikam.com',
    sender: 'john@fabrikam.com',
    returnPath: 'john@fabrikam.com',
  },
  'foreign-sender-domain': {
    ...contoso,
    senderDomain: 'fabrikam.com',
    sender: 'app@fabrikam.com',
    returnPath: 'app@fabrikam.com',
  },
  'connector-mismatch': withoutAttr,
  'wrong-region': { ...contoso, code: '4.4.62', attr: 'ATTR35' },
};

const ipConnector = { name: 'Inbound from EX01 (IP)', enabled: true, identifiesBy: 'ip' as const };

/** Sentences in prose, ignoring dots inside domain names. */
function sentenceCount(text: string): number {
  return text.split(/[.!?](?:\s|$)/).filter((part) => part.trim() !== '').length;
}

describe.each(SCENARIO_IDS)('remediation for %s', (scenario) => {
  const ctx = contexts[scenario];
  const result = remediationFor(scenario, ctx);

  it('validates against the Remediation schema', () => {
    expect(() => Remediation.parse(result)).not.toThrow();
    expect(result.steps.length).toBeGreaterThanOrEqual(3);
    expect(result.commands.length).toBeGreaterThan(0);
  });

  it('explains in 2 to 4 sentences naming the real domains', () => {
    const count = sentenceCount(result.explanation);
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThanOrEqual(4);
    expect(result.explanation).toMatch(/contoso\.com|fabrikam\.com|EX01\.contoso\.com/);
  });

  it('does not number its steps itself', () => {
    for (const step of result.steps) expect(step).not.toMatch(/^\s*\d+[.)]\s/);
  });

  it('links only to https learn.microsoft.com pages', () => {
    expect(result.links.length).toBeGreaterThan(0);
    for (const link of result.links) {
      const url = new URL(link.url);
      expect(url.protocol).toBe('https:');
      expect(url.hostname).toBe('learn.microsoft.com');
    }
  });

  it('fills commands with real names, not placeholders, when the context has them', () => {
    const commands = result.commands.join('\n');
    expect(commands).not.toContain(PLACEHOLDER_DOMAIN);
    expect(commands).not.toContain('<Send connector to Office 365>');
    // The server prefix of the tracking-log connector id is not part of the send connector's name.
    if (commands.includes('Set-SendConnector')) {
      expect(commands).toContain("Set-SendConnector -Identity 'Outbound to Office 365'");
    }
  });

  it('uses a placeholder when no accepted domains are known', () => {
    const none = remediationFor(scenario, { ...ctx, acceptedDomains: [], acceptedDomainsSource: 'none' });
    expect(() => Remediation.parse(none)).not.toThrow();
    expect(none.commands.join('\n')).toContain(PLACEHOLDER_DOMAIN);
    expect(none.commands.join('\n')).not.toContain('*.contoso.com');
  });

  it('has a description for the CLI and README', () => {
    expect(SCENARIO_DESCRIPTIONS[scenario].title).not.toBe('');
    expect(SCENARIO_DESCRIPTIONS[scenario].summary).not.toMatch(/\n/);
  });
});

describe('certificate connector commands', () => {
  it.each(['ndr', 'forwarding', 'foreign-sender-domain'] as const)(
    '%s gives the wildcard over the accepted domain the server is in',
    (scenario) => {
      const commands = remediationFor(scenario, contexts[scenario]).commands.join('\n');
      expect(commands).toContain(
        "Set-InboundConnector -Identity '<On-premises inbound connector>' -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
      );
      expect(commands).toContain('-Fqdn ex01.contoso.com');
    },
  );

  it.each(['ndr', 'forwarding', 'foreign-sender-domain'] as const)(
    '%s names an IP-only connector and switches it to the certificate',
    (scenario) => {
      const result = remediationFor(scenario, { ...contexts[scenario], inboundConnectors: [ipConnector] });
      expect(result.commands).toContain(
        "Set-InboundConnector -Identity 'Inbound from EX01 (IP)' -TlsSenderCertificateName *.contoso.com " +
          '-RestrictDomainsToCertificate $true -ConnectorType OnPremises -RequireTls $true ' +
          '-SenderIPAddresses $null -RestrictDomainsToIPAddresses $false',
      );
      expect(result.steps.join('\n')).toContain(
        '"Inbound from EX01 (IP)" identifies EX01.contoso.com by IP address only',
      );
    },
  );

  it('does not put the IP-only connector into wrong-region commands', () => {
    const result = remediationFor('wrong-region', {
      ...contexts['wrong-region'],
      inboundConnectors: [ipConnector],
    });
    expect(result.commands.join('\n')).not.toContain('Inbound from EX01 (IP)');
  });

  it('replaces a Hybrid-wizard host name with the wildcard', () => {
    const result = remediationFor('ndr', {
      ...contexts.ndr,
      inboundConnectors: [
        {
          name: 'Inbound from 1b2c',
          enabled: true,
          identifiesBy: 'certificate',
          tlsSenderCertificateName: 'mail.contoso.com',
        },
      ],
    });
    expect(result.steps[0]).toContain('expects the certificate name mail.contoso.com');
    expect(result.commands.join('\n')).toContain(
      "Set-InboundConnector -Identity 'Inbound from 1b2c' -TlsSenderCertificateName *.contoso.com",
    );
    // The certificate's real name is what the send connector must announce.
    expect(result.commands.join('\n')).toContain('-Fqdn mail.contoso.com');
  });

  it('prefers the accepted domain that is a parent of the server name', () => {
    const ctx = { ...contoso, acceptedDomains: ['fabrikam.com', 'Contoso.com'] };
    expect(organisationDomain(ctx)).toBe('contoso.com');
    expect(organisationDomain({ ...ctx, serverHostname: 'EX01.contoso.local', senderDomain: 'x.org' })).toBe(
      'fabrikam.com',
    );
    expect(organisationDomain({ ...ctx, acceptedDomains: [] })).toBeUndefined();
  });

  it('points a server in a subdomain at KB 4019940', () => {
    const result = remediationFor('ndr', { ...contexts.ndr, serverHostname: 'host.sub.contoso.com' });
    expect(result.steps.join('\n')).toContain('register sub.contoso.com');
  });
});

describe('foreign-sender-domain', () => {
  it('offers registering the subdomain or MatchSubDomains on the parent', () => {
    const result = remediationFor('foreign-sender-domain', {
      ...contoso,
      senderDomain: 'alerts.contoso.com',
      returnPath: 'scanner@alerts.contoso.com',
      serverHostname: 'app01.corp.local',
    });
    expect(result.explanation).toContain('alerts.contoso.com');
    expect(result.steps[0]).toContain('register alerts.contoso.com');
    expect(result.steps[0]).toContain('InternalRelay');
    expect(result.steps[1]).toContain('scanner@contoso.com');
    expect(result.commands).toContain(
      'Set-AcceptedDomain -Identity contoso.com -DomainType InternalRelay -MatchSubDomains $true',
    );
    expect(result.commands.join('\n')).toContain('-TlsSenderCertificateName *.contoso.com');
  });

  it('without ATTR36, says the connector must match the server too, after the domain fixes', () => {
    const { attr: _noAttr, ...noAttr } = contexts['foreign-sender-domain'];
    const result = remediationFor('foreign-sender-domain', noAttr);
    expect(result.explanation).toMatch(
      /The reply has no ATTR36, so no OnPremises inbound connector matched .* either\.$/,
    );
    expect(result.steps[2]).toMatch(
      /^Whichever of the two you choose, a connector must match .* too: the refusal has no ATTR36, .*SenderIPAddresses/,
    );
    const withAttr = remediationFor('foreign-sender-domain', contexts['foreign-sender-domain']);
    expect([withAttr.explanation, ...withAttr.steps].join('\n')).not.toContain('no ATTR36');
    expect(result.steps.slice(3)).toEqual(
      withAttr.steps.slice(2).map((step) => step.replace('5.7.64 ATTR36', '5.7.64')),
    );
  });

  it('suggests adding an owned domain without MatchSubDomains', () => {
    const result = remediationFor('foreign-sender-domain', contexts['foreign-sender-domain']);
    expect(result.steps[0]).toContain('add it as an accepted domain');
    expect(result.commands.join('\n')).not.toContain('MatchSubDomains $true');
  });
});

describe('forwarding', () => {
  it('recommends forwarding in Exchange Online or stopping on-prem redirects', () => {
    const result = remediationFor('forwarding', contexts.forwarding);
    expect(result.explanation).toContain('fabrikam.com');
    expect(result.explanation).toContain('tailspintoys.com');
    expect(result.steps.join('\n')).toContain('SRS');
    expect(result.steps.join('\n')).toContain('stop redirecting');
  });
});

describe('connector-mismatch', () => {
  it('covers certificate comparison, HCW, SenderIPAddresses and the chain', () => {
    const steps = remediationFor('connector-mismatch', contexts['connector-mismatch']).steps.join('\n');
    expect(steps).toContain('send protocol log');
    expect(steps).toContain('TlsSenderCertificateName');
    expect(steps).toContain('Hybrid Configuration Wizard');
    expect(steps).toContain('/24 to /32');
    expect(steps).toContain('intermediate');
  });

  it('adds the public IP to an IP-only connector', () => {
    const result = remediationFor('connector-mismatch', {
      ...contexts['connector-mismatch'],
      inboundConnectors: [ipConnector],
    });
    expect(result.commands).toContain(
      "Set-InboundConnector -Identity 'Inbound from EX01 (IP)' -SenderIPAddresses @{Add='<public IPv4 address of EX01.contoso.com>'}",
    );
  });
});

describe('wrong-region', () => {
  it("sets the smart host to the tenant's MX endpoint, never the host that answered", () => {
    const result = remediationFor('wrong-region', {
      ...contexts['wrong-region'],
      remoteHost: 'fabrikam-com.mail.protection.outlook.com',
    });
    const commands = result.commands.join('\n');
    expect(commands).toContain('Resolve-DnsName -Type MX -Name contoso.com');
    expect(commands).toContain('-SmartHosts contoso-com.mail.protection.outlook.com');
    expect(commands).not.toContain('-SmartHosts fabrikam-com');
  });

  it('falls back to the <tenant> placeholder', () => {
    const result = remediationFor('wrong-region', {
      ...contexts['wrong-region'],
      acceptedDomains: [],
      acceptedDomainsSource: 'none',
    });
    expect(result.commands.join('\n')).toContain("-SmartHosts '<tenant>.mail.protection.outlook.com'");
  });
});

describe('psQuote', () => {
  it('keeps hostile names one literal argument', () => {
    expect(psQuote('Outbound "O365" $env:X `n $(Remove-Item C:\\)')).toBe(
      '\'Outbound "O365" $env:X `n $(Remove-Item C:\\)\'',
    );
    expect(psQuote("Bob's'; Remove-InboundConnector x; '")).toBe("'Bob''s''; Remove-InboundConnector x; '''");
  });

  it('doubles typographic single quotes, which PowerShell also ends strings on', () => {
    expect(psQuote('a\u2019b\u2018c')).toBe("'a\u2019\u2019b\u2018\u2018c'");
  });

  it('keeps a command on one line', () => {
    expect(psQuote('a\nb\r\0c')).toBe("'a\uFFFDb\uFFFD\uFFFDc'");
  });

  it('leaves plain domain names bare and quotes everything else', () => {
    expect(psArg('*.contoso.com')).toBe('*.contoso.com');
    expect(psArg('contoso-com.mail.protection.outlook.com')).toBe('contoso-com.mail.protection.outlook.com');
    expect(psArg('*.<your-accepted-domain>')).toBe("'*.<your-accepted-domain>'");
    expect(psArg('contoso.com;calc')).toBe("'contoso.com;calc'");
    expect(psArg('$x.com')).toBe("'$x.com'");
    expect(psArg('-Force')).toBe("'-Force'");
  });

  it('quotes a hostile connector name inside a generated command', () => {
    const name = 'Evil" -Confirm:$false; Remove-InboundConnector \'x';
    const result = remediationFor('ndr', {
      ...contexts.ndr,
      inboundConnectors: [{ name, enabled: true, identifiesBy: 'ip' }],
    });
    expect(result.commands.join('\n')).toContain(
      `Set-InboundConnector -Identity 'Evil" -Confirm:$false; Remove-InboundConnector ''x' -TlsSenderCertificateName`,
    );
  });
});
