/**
 * Remediation for a refusal seen in the log of a relay that is not Exchange (Postfix, sendmail,
 * Exim, the IIS SMTP service): every scenario that needs the relay to present a certificate says how
 * that relay does it, a wrong-region refusal says where the relay's smart host is set, and every one
 * says how to check the result in the relay's own log. A refusal from an Exchange log keeps
 * Exchange's send connector and message tracking log, word for word.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding, Remediation, ScenarioId } from '../../functions/core/analysis/model/findings.js';
import { type RemediationContext, remediationFor } from '../../functions/core/analysis/remediation/index.js';
import type { RelaySoftware } from '../../functions/core/analysis/remediation/relay-software.js';
import { analyzeFiles } from '../support/analyze-text.js';

/** What each relay's advice must name: its client-certificate settings and the way to check its log. */
const RELAYS: Record<RelaySoftware, { certificate: RegExp[]; commands: RegExp[]; check: RegExp[] }> = {
  postfix: {
    certificate: [/smtp_tls_cert_file/, /smtp_tls_key_file/, /smtp_tls_security_level = encrypt/],
    commands: [/^postconf -e 'smtp_tls_cert_file = .*' 'smtp_tls_key_file = .*' && postfix reload$/],
    check: [
      /status=sent \(250 2\.6\.0 …\) instead of status=bounced with 5\.7\.64/,
      /grep -F '<recipient address>' \/var\/log\/mail\.log/,
    ],
  },
  sendmail: {
    certificate: [/confCLIENT_CERT/, /confCLIENT_KEY/],
    commands: [/^define\(`confCLIENT_CERT', `.*'\)dnl$/, /^define\(`confCLIENT_KEY', `.*'\)dnl$/],
    check: [/stat=Sent instead of dsn=5\.7\.64;/, /grep -F '<recipient address>' \/var\/log\/maillog/],
  },
  exim: {
    certificate: [/on the smtp transport/, /tls_certificate/, /tls_privatekey/],
    commands: [/^tls_certificate = /, /^tls_privatekey = /],
    check: [
      /a => line instead of \*\* with 5\.7\.64/,
      /exigrep '<recipient address>' \/var\/log\/exim4\/mainlog/,
    ],
  },
  // KB 3212877: the virtual server's certificate, TLS on outbound delivery, intermediates in the machine's CA store.
  'iis-smtp': {
    certificate: [
      /in IIS 6\.0 Manager, open the SMTP virtual server's Properties, Access tab, Certificate/,
      /Delivery tab, Outbound Security, select TLS encryption/,
      /Intermediate Certification Authorities store \(Cert:\\LocalMachine\\CA, command below\)/,
    ],
    commands: [
      /^Import-Certificate -FilePath '.*\.cer' -CertStoreLocation Cert:\\LocalMachine\\CA$/,
      /^Restart-Service SMTPSVC$/,
    ],
    check: [
      /answered 250 instead of 5\.7\.64/,
      /Select-String -Path "\$env:SystemRoot\\System32\\LogFiles\\SMTPSVC1\\ex\*\.log" -Pattern '<recipient address>' -SimpleMatch/,
    ],
  },
};
const RELAY_IDS = Object.keys(RELAYS) as RelaySoftware[];

/** The scenarios whose advice has the relay present a certificate and check the result. */
const SCENARIOS = ['ndr', 'foreign-sender-domain', 'forwarding', 'connector-mismatch'] as const;

/** A contoso.com organisation; each scenario's refusal as the relay relay01 logged it. */
const base: RemediationContext = {
  senderDomain: 'contoso.com',
  recipientDomain: 'tailspintoys.com',
  recipient: 'kate@tailspintoys.com',
  acceptedDomains: ['contoso.com'],
  acceptedDomainsSource: 'given',
  serverHostname: 'relay01',
  attr: 'ATTR36',
  code: '5.7.64',
};
const { attr: _attr, ...withoutAttr } = base;
const contexts: Record<(typeof SCENARIOS)[number], RemediationContext> = {
  ndr: { ...base, returnPath: '' },
  'foreign-sender-domain': { ...base, senderDomain: 'fabrikam.com', returnPath: 'app@fabrikam.com' },
  forwarding: { ...base, senderDomain: 'fabrikam.com', returnPath: 'john@fabrikam.com' },
  'connector-mismatch': withoutAttr,
};

/** Everything a remediation says, for patterns that may be anywhere in it. */
const textOf = (remediation: Remediation): string =>
  [remediation.title, remediation.explanation, ...remediation.steps, ...remediation.commands].join('\n');

/** What no advice for a relay may say: it has no send connector and no message tracking log. */
const EXCHANGE_ONLY =
  /message tracking log|Set-SendConnector|send connector|SEND event|Get-ExchangeCertificate/;

describe.each(RELAY_IDS)('remediation for a refusal in a %s log', (relay) => {
  const expected = RELAYS[relay];

  it.each(SCENARIOS)(
    '%s: names the certificate setting and the check of the relay, nothing of Exchange',
    (scenario) => {
      const result = remediationFor(scenario, { ...contexts[scenario], relay });
      const steps = result.steps.join('\n');
      for (const pattern of expected.certificate) expect(steps).toMatch(pattern);
      for (const pattern of expected.commands) {
        expect(result.commands.some((command) => pattern.test(command))).toBe(true);
      }
      const check = result.steps.at(-1) ?? '';
      expect(check).toMatch(/^Check the result on relay01: /);
      for (const pattern of expected.check) expect(check).toMatch(pattern);
      expect(textOf(result)).not.toMatch(EXCHANGE_ONLY);
    },
  );
});

describe('the IIS SMTP service presents a certificate, as KB 3212877 describes', () => {
  /** What the advice said while it held that the IIS SMTP service could present none. */
  const CANNOT = /cannot present|presents no client certificate|through a server that can present/;

  it.each(['ndr', 'foreign-sender-domain', 'forwarding'] as const)(
    '%s: offers the certificate-based connector and the certificate on the virtual server, like every relay',
    (scenario) => {
      const result = remediationFor(scenario, { ...contexts[scenario], relay: 'iis-smtp' });
      expect(textOf(result)).not.toMatch(CANNOT);
      expect(result.commands.join('\n')).toMatch(/-TlsSenderCertificateName \*\.contoso\.com/);
      expect(result.commands.slice(-2)).toEqual([
        "Import-Certificate -FilePath 'C:\\certs\\<intermediate CA certificate>.cer' -CertStoreLocation Cert:\\LocalMachine\\CA",
        'Restart-Service SMTPSVC',
      ]);
    },
  );

  it('connector-mismatch: the certificate step and the chain say the same, and nothing says it cannot', () => {
    const result = remediationFor('connector-mismatch', {
      ...contexts['connector-mismatch'],
      relay: 'iis-smtp',
    });
    expect(textOf(result)).not.toMatch(CANNOT);
    // The chain is imported into the machine's store, not appended to a certificate file.
    expect(textOf(result)).not.toMatch(/after the relay's certificate/);
    expect(result.steps.filter((step) => /KB 3212877/.test(step))).toHaveLength(1);
    expect(result.commands).toContain(
      "New-InboundConnector -Name 'Relay relay01 by certificate' -ConnectorType OnPremises -SenderDomains * -RequireTls $true -TlsSenderCertificateName *.contoso.com -RestrictDomainsToCertificate $true",
    );
  });
});

describe('the connector-mismatch explanation names each relay in a sentence that reads', () => {
  const names: Record<RelaySoftware, string> = {
    postfix: 'Postfix',
    sendmail: 'sendmail',
    exim: 'Exim',
    'iis-smtp': 'the IIS SMTP service',
  };
  it.each(RELAY_IDS)('%s', (relay) => {
    const { explanation } = remediationFor('connector-mismatch', {
      ...contexts['connector-mismatch'],
      relay,
    });
    expect(explanation).toMatch(
      new RegExp(`^Relay01, a relay running ${names[relay]}, sent mail from contoso\\.com`),
    );
    expect(explanation).not.toMatch(/\ba (?:the|Exim)\b/);
  });
});

describe('the check of a deferral (4.x.x) in a relay log', () => {
  const deferred = (relay: RelaySoftware) =>
    remediationFor('foreign-sender-domain', {
      ...contexts['foreign-sender-domain'],
      code: '4.7.64',
      relay,
    }).steps.at(-1);

  it('looks for the deferral Postfix and Exim write, and the bare code in sendmail dsn=', () => {
    expect(deferred('postfix')).toMatch(/instead of status=deferred with 4\.7\.64 ATTR36/);
    expect(deferred('exim')).toMatch(/a => line instead of == with 4\.7\.64 ATTR36/);
    expect(deferred('sendmail')).toMatch(/instead of dsn=4\.7\.64;/);
  });
});

describe('a refusal from an Exchange log', () => {
  const exchange = { serverHostname: 'EX01.contoso.com', connectorId: 'EX01\\Outbound to Office 365' };
  const SEND_CONNECTOR_COMMAND =
    "Set-SendConnector -Identity 'Outbound to Office 365' -RequireTLS $true -TlsAuthLevel CertificateValidation -Fqdn ex01.contoso.com -CloudServicesMailEnabled $true";
  const SEND_CONNECTOR_STEP =
    'On EX01.contoso.com, send to Exchange Online over TLS with that certificate. Exchange: send connector ' +
    '"Outbound to Office 365" needs -RequireTLS $true, -TlsAuthLevel CertificateValidation, ' +
    '-CloudServicesMailEnabled $true and -Fqdn set to a name on the certificate (ex01.contoso.com); keep its ' +
    "smart host on your tenant's endpoint. Install the certificate with its full chain (intermediate CA " +
    'certificates). Postfix and other MTAs: present the same certificate with STARTTLS (smtp_tls_cert_file, ' +
    'smtp_tls_key_file).';
  const checks: Record<'ndr' | 'foreign-sender-domain' | 'forwarding', string> = {
    ndr: 'the next NDR or automatic reply to an outside address',
    'foreign-sender-domain': 'the next message from fabrikam.com',
    forwarding: 'the next forwarded message to kate@tailspintoys.com',
  };

  it.each(['ndr', 'foreign-sender-domain', 'forwarding'] as const)(
    '%s: keeps the send connector step and command and the message tracking log',
    (scenario) => {
      const result = remediationFor(scenario, { ...contexts[scenario], ...exchange });
      expect(result.steps.at(-2)).toBe(SEND_CONNECTOR_STEP);
      expect(result.steps.at(-1)).toBe(
        `Check the result in the message tracking log on EX01.contoso.com: ${checks[scenario]} should show a SEND event to Office 365 instead of FAIL with 5.7.64 ATTR36.`,
      );
      expect(result.commands.at(-1)).toBe(SEND_CONNECTOR_COMMAND);
    },
  );

  it('connector-mismatch: keeps the message tracking log', () => {
    expect(
      remediationFor('connector-mismatch', { ...contexts['connector-mismatch'], ...exchange }).steps.at(-1),
    ).toBe(
      'Check the result in the message tracking log on EX01.contoso.com: the next message from contoso.com should show a SEND event to Office 365 instead of FAIL with 5.7.64.',
    );
  });
});

/** What a wrong-region refusal's advice must say for each relay: its smart host setting, lookup and check. */
const SMART_HOSTS: Record<
  RelaySoftware,
  {
    step: RegExp;
    /** The MX lookup as a step names it, and as a command. */
    lookupInProse: string;
    lookup: string;
    commands: string[];
    check: RegExp;
    explanation: string;
  }
> = {
  postfix: {
    step: /^Set Postfix's relayhost to that endpoint only, .*: relayhost = \[contoso-com\.mail\.protection\.outlook\.com\]:25 .*then run postfix reload\.$/,
    lookupInProse: 'dig +short MX contoso.com',
    lookup: 'dig +short MX contoso.com',
    commands: ["postconf -e 'relayhost = [contoso-com.mail.protection.outlook.com]:25' && postfix reload"],
    check: /status=sent \(250 2\.6\.0 …\) instead of status=deferred with 4\.4\.62 ATTR35; grep -F/,
    explanation: "Postfix's relayhost",
  },
  sendmail: {
    step: /^Set sendmail's SMART_HOST to that endpoint only, .*: in sendmail\.mc, define\(`SMART_HOST', `\[contoso-com\.mail\.protection\.outlook\.com\]'\)dnl .*rebuild sendmail\.cf and restart sendmail\.$/,
    lookupInProse: 'dig +short MX contoso.com',
    lookup: 'dig +short MX contoso.com',
    commands: ["define(`SMART_HOST', `[contoso-com.mail.protection.outlook.com]')dnl"],
    check: /stat=Sent instead of dsn=4\.4\.62; grep -F/,
    explanation: "sendmail's SMART_HOST",
  },
  exim: {
    step: /^Point Exim's smart host at that endpoint only, .*: in the manualroute router that relays to Exchange Online, route_list = \* contoso-com\.mail\.protection\.outlook\.com; on Debian and Ubuntu, dc_smarthost='contoso-com\.mail\.protection\.outlook\.com' in \/etc\/exim4\/update-exim4\.conf\.conf, then run update-exim4\.conf\./,
    lookupInProse: 'dig +short MX contoso.com',
    lookup: 'dig +short MX contoso.com',
    commands: [
      'route_list = * contoso-com.mail.protection.outlook.com',
      "dc_smarthost='contoso-com.mail.protection.outlook.com'",
    ],
    check: /a => line instead of == with 4\.4\.62 ATTR35; exigrep/,
    explanation: "the route_list of Exim's smarthost router",
  },
  'iis-smtp': {
    step: /^Set the SMTP virtual server's smart host to that endpoint only, .*Delivery tab, Advanced, enter contoso-com\.mail\.protection\.outlook\.com as Smart host and clear "Attempt direct delivery before sending to smart host"\.$/,
    lookupInProse: 'Resolve-DnsName -Type MX contoso.com',
    lookup: 'Resolve-DnsName -Type MX -Name contoso.com',
    commands: [],
    check: /answered 250 instead of 4\.4\.62 ATTR35 in the SMTP service's log; Select-String/,
    explanation: "the SMTP virtual server's smart host",
  },
};

/** A wrong-region refusal relay01 logged, answered by another tenant's endpoint (never to be reused). */
const wrongRegion: RemediationContext = {
  ...base,
  attr: 'ATTR35',
  code: '4.4.62',
  remoteHost: 'fabrikam-com.mail.protection.outlook.com',
};
const LIST_INBOUND_CONNECTORS =
  'Get-InboundConnector | Format-List Name,Enabled,ConnectorType,SenderIPAddresses,TlsSenderCertificateName';

describe.each(RELAY_IDS)('wrong-region in a %s log', (relay) => {
  const expected = SMART_HOSTS[relay];
  const result = remediationFor('wrong-region', { ...wrongRegion, relay });

  it("points the relay's own smart host setting at the tenant's MX endpoint", () => {
    expect(result.explanation).toContain(
      `This happens when ${expected.explanation} is not your tenant's own MX endpoint`,
    );
    const lookUp = `Look up your tenant's MX endpoint with ${expected.lookupInProse}. `;
    expect(result.steps[0]?.slice(0, lookUp.length)).toBe(lookUp);
    expect(result.steps[1]).toMatch(expected.step);
    expect(result.commands).toEqual([expected.lookup, ...expected.commands, LIST_INBOUND_CONNECTORS]);
    expect([...result.steps, ...result.commands].join('\n')).not.toContain('fabrikam-com');
  });

  it("checks the result in the relay's own log, and says nothing of Exchange", () => {
    expect(result.steps.at(-1)).toMatch(/^Check the result on relay01: /);
    expect(result.steps.at(-1)).toMatch(expected.check);
    expect(textOf(result)).not.toMatch(EXCHANGE_ONLY);
  });
});

describe('wrong-region in an IIS SMTP log', () => {
  it('lets a connector match by certificate or IP address, as for every relay (KB 3212877)', () => {
    const result = remediationFor('wrong-region', { ...wrongRegion, relay: 'iis-smtp' });
    const postfix = remediationFor('wrong-region', { ...wrongRegion, relay: 'postfix' });
    expect(result.steps[2]).toMatch(
      /by certificate \(TlsSenderCertificateName \*\.contoso\.com\) or by its public IPv4 address/,
    );
    expect(result.steps[2]).toBe(postfix.steps[2]);
  });
});

describe('wrong-region from an Exchange log', () => {
  it('keeps the send connector, Resolve-DnsName and the message tracking log, word for word', () => {
    const result = remediationFor('wrong-region', {
      ...wrongRegion,
      serverHostname: 'EX01.contoso.com',
      connectorId: 'EX01\\Outbound to Office 365',
    });
    expect(result.explanation).toBe(
      'EX01.contoso.com was told "Mail sent to the wrong Office 365 region" (4.4.62 ATTR35) from ' +
        'fabrikam-com.mail.protection.outlook.com when relaying to kate@tailspintoys.com: Exchange Online could not tie the message to your tenant at the endpoint it ' +
        "reached. This happens when the send connector's smart host is not your tenant's own MX endpoint (an " +
        "IP address, another tenant's host, or an old regional name), or when no OnPremises inbound connector " +
        'matches the sending server.',
    );
    expect(result.steps).toEqual([
      "Look up your tenant's MX endpoint with Resolve-DnsName -Type MX contoso.com. For contoso.com it " +
        'normally has the form contoso-com.mail.protection.outlook.com, but domains added since 2024 can have ' +
        'an endpoint under mx.microsoft: use exactly the name DNS returns.',
      'Set the smart host of send connector "Outbound to Office 365" to that endpoint only: not an IP ' +
        "address, not another tenant's or region's host.",
      'Make sure an enabled OnPremises inbound connector matches EX01.contoso.com: by certificate ' +
        '(TlsSenderCertificateName *.contoso.com) or by its public IPv4 address in SenderIPAddresses.',
      'Check the result in the message tracking log on EX01.contoso.com: the next message to an outside ' +
        'address should show a SEND event to Office 365 instead of a 4.4.62 deferral or failure.',
    ]);
    expect(result.commands).toEqual([
      'Resolve-DnsName -Type MX -Name contoso.com',
      "Get-SendConnector -Identity 'Outbound to Office 365' | Format-List SmartHosts,DNSRoutingEnabled,RequireTLS,TlsAuthLevel,Fqdn",
      "Set-SendConnector -Identity 'Outbound to Office 365' -SmartHosts contoso-com.mail.protection.outlook.com -DNSRoutingEnabled $false",
      LIST_INBOUND_CONNECTORS,
    ]);
  });
});

/** The bundled sample logs of each relay, and the relay they are from. */
const SAMPLES: [file: string, relay: RelaySoftware][] = [
  ['postfix-mail.log', 'postfix'],
  ['sendmail-maillog.log', 'sendmail'],
  ['exim-mainlog.log', 'exim'],
  ['iis-smtp-ex261128.log', 'iis-smtp'],
];

describe('the bundled sample logs, analysed together with an Exchange tracking log', async () => {
  const files = await Promise.all(
    [...SAMPLES.map(([file]) => file), 'MSGTRK2026112800-1.LOG'].map(async (name) => ({
      name,
      content: await readFile(`sample-logs/${name}`, 'utf8'),
    })),
  );
  const accepted = await readFile('sample-logs/config/accepted-domains.csv', 'utf8');
  const { findings } = await analyzeFiles(files, { accepted, year: 2026 });
  const scenarios: readonly ScenarioId[] = SCENARIOS;
  const advised = (file: string): Finding[] =>
    findings.filter((f) => f.source.file === file && scenarios.includes(f.scenario));

  it.each(SAMPLES)('%s: every finding gets the certificate and the check of its relay', (file, relay) => {
    const found = advised(file);
    // Each relay sample has an NDR and a connector mismatch; all but IIS a foreign sender too.
    expect(new Set(found.map((f) => f.scenario))).toEqual(
      new Set(['ndr', 'connector-mismatch', ...(relay === 'iis-smtp' ? [] : ['foreign-sender-domain'])]),
    );
    for (const finding of found) {
      const steps = finding.remediation.steps.join('\n');
      for (const pattern of RELAYS[relay].certificate) expect(steps).toMatch(pattern);
      for (const pattern of RELAYS[relay].check) expect(finding.remediation.steps.at(-1)).toMatch(pattern);
      expect(textOf(finding.remediation)).not.toMatch(EXCHANGE_ONLY);
    }
  });

  it.each([
    ['postfix-mail.log', 'postfix'],
    ['exim-mainlog.log', 'exim'],
  ] as const)(
    '%s: its wrong-region deferral gets the smart host and the check of its relay',
    (file, relay) => {
      const found = findings.filter((f) => f.source.file === file && f.scenario === 'wrong-region');
      expect(found.length).toBeGreaterThan(0);
      for (const { remediation } of found) {
        expect(remediation.explanation).toContain(SMART_HOSTS[relay].explanation);
        expect(remediation.steps.at(-1)).toMatch(SMART_HOSTS[relay].check);
        expect(textOf(remediation)).not.toMatch(EXCHANGE_ONLY);
      }
    },
  );

  it("keeps Exchange's advice for the tracking log's findings of the same run", () => {
    const found = advised('MSGTRK2026112800-1.LOG');
    expect(found.map((f) => f.scenario).sort()).toEqual([
      'connector-mismatch',
      'foreign-sender-domain',
      'ndr',
    ]);
    for (const finding of found) {
      expect(finding.remediation.steps.at(-1)).toMatch(/^Check the result in the message tracking log on /);
    }
    const ndr = found.find((f) => f.scenario === 'ndr');
    expect(ndr?.remediation.commands.at(-1)).toMatch(/^Set-SendConnector -Identity /);
  });
});
