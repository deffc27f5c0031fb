/**
 * What language each remediation command is in, as the CLI and the dashboard title it: a relay's
 * findings hold its shell commands or configuration lines next to Exchange Online PowerShell, and
 * each must be titled by what it is. Every command any scenario writes, for Exchange and for each
 * relay, and every command of every readiness check, is checked here, so a new command cannot be
 * titled wrongly unnoticed; so are the shell and PowerShell commands the texts give in their prose.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIO_IDS } from '../../functions/core/analysis/model/findings.js';
import { type RemediationContext, remediationFor } from '../../functions/core/analysis/remediation/index.js';
import {
  type CommandLanguage,
  commandLanguage,
  commandSections,
  RELAY_SOFTWARE,
  type RelaySoftware,
} from '../../functions/core/analysis/remediation/relay-software.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { HOW_TO_EXPORT } from '../../functions/core/organisation/configuration.js';
import {
  CHECK_IDS,
  ConfigFileError,
  parseCertificateFile,
  parseInboundConnectors,
  type ReadinessResult,
  runReadinessChecks,
} from '../../functions/core/readiness/index.js';
import { useNewCertificateCommands } from '../../functions/core/readiness/pack/wording.js';
import { SAMPLE_CONFIG_DIR } from '../support/sample-config.js';

/** Contexts that reach every branch of the templates' commands: no connector known, one to enable, an IP one. */
const CONTEXTS: RemediationContext[] = [
  {
    senderDomain: 'fabrikam.com',
    recipient: 'kate@tailspintoys.com',
    recipientDomain: 'tailspintoys.com',
    returnPath: 'app@fabrikam.com',
    acceptedDomains: ['contoso.com'],
    acceptedDomainsSource: 'given',
    serverHostname: 'relay01',
    attr: 'ATTR36',
    code: '5.7.64',
  },
  {
    senderDomain: 'contoso.com',
    returnPath: '',
    acceptedDomains: ['contoso.com'],
    acceptedDomainsSource: 'given',
    code: '4.4.62',
    attr: 'ATTR35',
    inboundConnectors: [
      {
        name: 'Cert',
        enabled: false,
        identifiesBy: 'certificate',
        tlsSenderCertificateName: '*.contoso.com',
      },
      { name: 'IP', enabled: true, identifiesBy: 'ip' },
    ],
  },
  {
    acceptedDomains: [],
    acceptedDomainsSource: 'none',
    code: '5.7.64',
    inboundConnectors: [{ name: 'IP', enabled: true, identifiesBy: 'ip' }],
  },
];

/** Every command the scenarios write for what sent the message (`undefined`: Exchange). */
function allCommands(relay: RelaySoftware | undefined): string[] {
  return [
    ...new Set(
      CONTEXTS.flatMap((ctx) =>
        SCENARIO_IDS.flatMap(
          (scenario) => remediationFor(scenario, relay === undefined ? ctx : { ...ctx, relay }).commands,
        ),
      ),
    ),
  ];
}

/** The language of each relay's own lines, told by their first word. */
const RELAY_LINES: Record<RelaySoftware, [first: RegExp, language: CommandLanguage][]> = {
  postfix: [
    [/^postconf /, 'shell'],
    [/^dig /, 'shell'],
  ],
  sendmail: [
    [/^define\(`/, 'sendmail-mc'],
    [/^dig /, 'shell'],
  ],
  exim: [
    [/^(tls_certificate|tls_privatekey|hosts_require_tls|route_list) = /, 'exim-config'],
    [/^dc_smarthost='/, 'exim-config'],
    [/^dig /, 'shell'],
  ],
  'iis-smtp': [],
};

/** A cmdlet: what every Exchange Online and Exchange Management Shell command starts with. */
const CMDLET = /^[A-Z][a-z]+-[A-Z][A-Za-z]* /;

/**
 * The cmdlets of Windows itself the advice uses, run on the server (the IIS SMTP relay, the Exchange
 * server): importing the intermediate CAs, restarting the SMTP service, the MX lookup.
 */
const WINDOWS_CMDLET = /^(?:Import-Certificate|Restart-Service|Resolve-DnsName) /;

/** What a command starting with a cmdlet is: Windows' own, else Exchange's. */
const cmdletLanguage = (command: string): CommandLanguage =>
  WINDOWS_CMDLET.test(command) ? 'windows-powershell' : 'powershell';

describe('the language of each command', () => {
  it('is PowerShell for every command of an Exchange finding and of the readiness exports', () => {
    const commands = [...allCommands(undefined), ...Object.values(HOW_TO_EXPORT).map((how) => how.command)];
    expect(commands.length).toBeGreaterThan(10);
    // The MX lookup is Windows' own cmdlet: run on the server, not in Exchange Online.
    const windows = commands.filter((command) => WINDOWS_CMDLET.test(command));
    expect(windows).toContain('Resolve-DnsName -Type MX -Name contoso.com');
    for (const command of windows) expect(command).toMatch(/^Resolve-DnsName -Type MX -Name /);
    for (const command of commands)
      expect([command, commandLanguage(command)]).toEqual([command, cmdletLanguage(command)]);
  });

  it.each(Object.keys(RELAY_LINES) as RelaySoftware[])(
    "%s: PowerShell for the cmdlets, the relay's own language for its lines",
    (relay) => {
      const commands = allCommands(relay);
      const own = commands.filter((command) => !CMDLET.test(command));
      // Every relay's advice has its own lines but IIS's, which are all PowerShell or in the steps.
      expect(own.length > 0).toBe(relay !== 'iis-smtp');
      for (const command of commands.filter((command) => CMDLET.test(command))) {
        expect([command, commandLanguage(command)]).toEqual([command, cmdletLanguage(command)]);
      }
      for (const command of own) {
        const line = RELAY_LINES[relay].find(([first]) => first.test(command));
        expect(line, `a ${relay} line this test does not know: ${command}`).toBeDefined();
        expect([command, commandLanguage(command)]).toEqual([command, line?.[1]]);
      }
    },
  );

  it('is PowerShell for every command the readiness checks write (Windows PowerShell for Windows cmdlets), every check fired at least once', () => {
    const results = readinessResults();
    const fired = new Set(results.filter((r) => r.severity !== 'info').map((r) => r.id));
    // Every check's text builder is reached, so a command added to any of them is checked here too.
    expect(CHECK_IDS.filter((id) => !fired.has(id))).toEqual([]);
    const commands = [...new Set(results.flatMap((result) => result.remediation.commands))];
    // The sequence that puts a new certificate into use holds a `$cert = …` line, not a cmdlet first.
    expect(commands).toEqual(expect.arrayContaining(useNewCertificateCommands()));
    // The intermediate CAs go into the Exchange server's own certificate store.
    expect(commands.filter((command) => WINDOWS_CMDLET.test(command))).toEqual([
      "Import-Certificate -FilePath '<intermediate CA certificate>.cer' -CertStoreLocation Cert:\\LocalMachine\\CA",
    ]);
    for (const command of commands)
      expect([command, commandLanguage(command)]).toEqual([command, cmdletLanguage(command)]);
  });

  it('keeps the sequence that puts a new certificate into use in one PowerShell section', () => {
    const selfSigned = readinessResults().find(
      (r) => r.id === 'certificate-self-signed' && r.severity === 'error',
    );
    const commands = selfSigned?.remediation.commands ?? [];
    expect(commands.some((command) => command.startsWith('$cert = Get-ExchangeCertificate '))).toBe(true);
    expect(commandSections(commands).map((section) => [section.title, section.commands.length])).toEqual([
      ['PowerShell', commands.length],
    ]);
  });

  it("tells the commands the texts give in prose by what they are: a relay's shell, openssl, Select-String", () => {
    const lines = proseCommands();
    // Each relay says how to find the next attempt in its log; openssl captures or converts a certificate.
    expect(lines.map(([line]) => line.split(' ')[0])).toEqual(
      expect.arrayContaining(['grep', 'exigrep', 'Select-String', 'openssl']),
    );
    for (const [line, language] of lines) expect([line, commandLanguage(line)]).toEqual([line, language]);
  });

  it.each([
    // PowerShell that starts with no cmdlet: a variable assigned or used, a cmdlet's output, a pipeline.
    ['$cert = Get-ExchangeCertificate -Thumbprint 0123', 'powershell'],
    ['$domains += Get-AcceptedDomain', 'powershell'],
    ['$cert.Thumbprint', 'powershell'],
    ['(Get-AcceptedDomain).DomainName', 'powershell'],
    ["'kate@contoso.com','ben@contoso.com' | ForEach-Object { Get-Mailbox -Identity $_ }", 'powershell'],
    // POSIX shell lines with `$`, `=`, `|` or parentheses in them stay shell.
    ['$HOME/bin/relay-check.sh --all', 'shell'],
    ['$(command -v postfix) reload', 'shell'],
    ['SSL_CERT_DIR=/etc/ssl/certs openssl s_client -connect mail.contoso.com:25 -starttls smtp', 'shell'],
    ["postqueue -p | grep -c 'Relay access denied'", 'shell'],
    ['echo "$cert" | openssl x509 -noout -subject -issuer -enddate', 'shell'],
    ["postconf -e 'relayhost = [contoso-com.mail.protection.outlook.com]:25' && postfix reload", 'shell'],
  ] as const)('%s is %s', (command, language) => {
    expect(commandLanguage(command)).toBe(language);
  });
});

const CERTIFICATES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'certificate-files');

/**
 * The readiness results of the sample configuration and the certificate fixtures, at times before,
 * within and after their validity, with connectors absent, none, the sample's and the sample's
 * disabled, for both audiences: between them every check fires (asserted above).
 */
function readinessResults(): ReadinessResult[] {
  const acceptedDomains = parseAcceptedDomains(
    readFileSync(join(SAMPLE_CONFIG_DIR, 'accepted-domains.csv'), 'utf8'),
    'accepted-domains.csv',
  );
  const sample = parseInboundConnectors(
    readFileSync(join(SAMPLE_CONFIG_DIR, 'inbound-connectors.json')),
    'inbound-connectors.json',
  );
  const certificates = [
    join(SAMPLE_CONFIG_DIR, 'mail.contoso.com.pem'),
    join(CERTIFICATES, 'www.google.com.pem'),
    join(CERTIFICATES, 'adcs-mail.contoso.com.pem'),
    join(CERTIFICATES, 'ex02-openssl-req-x509.pem'),
  ].map((file) => parseCertificateFile(readFileSync(file), file));
  const results: ReadinessResult[] = [];
  for (const at of ['2020-01-01', '2026-12-01', '2027-05-20', '2030-01-01'])
    for (const connectors of [undefined, [], sample, sample.map((c) => ({ ...c, enabled: false }))])
      for (const certificate of [undefined, ...certificates])
        for (const audience of ['cli', 'upload'] as const)
          results.push(
            ...runReadinessChecks({
              acceptedDomains,
              connectors,
              certificates: certificate === undefined ? undefined : [certificate],
              at: new Date(at),
              audience,
            }),
          );
  return results;
}

/**
 * Commands the texts give inside their prose, with the language each is in: every relay's check of
 * the result in its own log, and the openssl commands of the readiness steps and of the refusal of a
 * certificate file in another form (.pfx, .p7b).
 */
function proseCommands(): [line: string, language: CommandLanguage][] {
  const refusal = { code: '5.7.64', codeText: '5.7.64 ATTR36' };
  const verify = (Object.keys(RELAY_SOFTWARE) as RelaySoftware[]).map((relay): [string, CommandLanguage] => {
    // "…; grep -F '<recipient address>' /var/log/mail.log shows it (…)": the command before " shows".
    const text = RELAY_SOFTWARE[relay].verify('message from contoso.com', refusal);
    const command = (text.split('; ').at(-1) ?? '').split(' shows ')[0] ?? '';
    return [command, relay === 'iis-smtp' ? 'windows-powershell' : 'shell'];
  });
  const prose = readinessResults().flatMap((result) => [result.message, ...result.remediation.steps]);
  for (const file of ['adcs-mail.contoso.com.pfx', 'adcs-mail.contoso.com.p7b']) {
    try {
      parseCertificateFile(readFileSync(join(CERTIFICATES, file)), file);
    } catch (error) {
      if (!(error instanceof ConfigFileError)) throw error;
      prose.push(error.message);
    }
  }
  const openssl = [...new Set(prose.flatMap((text) => text.match(/\bopenssl [^,;)]+/g) ?? []))];
  // s_client in the readiness steps, pkcs12 and pkcs7 in the refusals.
  expect(openssl.map((line) => line.split(' ')[1])).toEqual(
    expect.arrayContaining(['s_client', 'pkcs12', 'pkcs7']),
  );
  return [...verify, ...openssl.map((line): [string, CommandLanguage] => [line.trim(), 'shell'])];
}

describe('the sections the CLI and the dashboard title', () => {
  it('keep an Exchange finding in one PowerShell section', () => {
    const commands = remediationFor('ndr', { ...(CONTEXTS[0] as RemediationContext) }).commands;
    expect(commandSections(commands)).toEqual([
      {
        language: 'powershell',
        title: 'PowerShell',
        where: 'Exchange Online / Exchange Management Shell',
        first: 0,
        commands,
      },
    ]);
  });

  it('split a relay finding where the language changes, in order, numbered on across sections', () => {
    const commands = remediationFor('wrong-region', {
      ...(CONTEXTS[0] as RemediationContext),
      relay: 'sendmail',
    }).commands;
    const sections = commandSections(commands);
    expect(sections.map(({ title, where, first, commands }) => ({ title, where, first, commands }))).toEqual([
      { title: 'Shell', where: 'on the relay', first: 0, commands: ['dig +short MX contoso.com'] },
      {
        title: 'sendmail.mc',
        where: "lines for the relay's sendmail.mc",
        first: 1,
        commands: ["define(`SMART_HOST', `[contoso-com.mail.protection.outlook.com]')dnl"],
      },
      {
        title: 'PowerShell',
        where: 'Exchange Online / Exchange Management Shell',
        first: 2,
        commands: [
          'Get-InboundConnector | Format-List Name,Enabled,ConnectorType,SenderIPAddresses,TlsSenderCertificateName',
        ],
      },
    ]);
    expect(sections.flatMap((section) => section.commands)).toEqual(commands);
  });

  it("title an IIS SMTP relay's Windows cmdlets as run on the server, apart from Exchange Online's", () => {
    const commands = remediationFor('connector-mismatch', {
      senderDomain: 'contoso.com',
      returnPath: 'app@contoso.com',
      acceptedDomains: ['contoso.com'],
      acceptedDomainsSource: 'given',
      serverHostname: 'relay01',
      code: '5.7.64',
      relay: 'iis-smtp',
    }).commands;
    const sections = commandSections(commands);
    expect(sections.map(({ title, where, first }) => ({ title, where, first }))).toEqual([
      { title: 'PowerShell', where: 'Exchange Online / Exchange Management Shell', first: 0 },
      {
        title: 'Windows PowerShell',
        where: 'on the server itself, not in Exchange Online',
        first: commands.length - 2,
      },
    ]);
    expect(sections[1]?.commands).toEqual([
      "Import-Certificate -FilePath 'C:\\certs\\<intermediate CA certificate>.cer' -CertStoreLocation Cert:\\LocalMachine\\CA",
      'Restart-Service SMTPSVC',
    ]);
  });

  it("title an Exchange finding's MX lookup as Windows PowerShell, the Exchange cmdlets after it as before", () => {
    // As a wrong-region finding stored before holds them: the titles come from the text alone.
    const stored = [
      'Resolve-DnsName -Type MX -Name contoso.com',
      "Set-SendConnector -Identity 'Outbound to Office 365' -SmartHosts contoso-com.mail.protection.outlook.com",
    ];
    expect(commandSections(stored).map(({ title, first, commands }) => [title, first, commands])).toEqual([
      ['Windows PowerShell', 0, [stored[0]]],
      ['PowerShell', 1, [stored[1]]],
    ]);
  });

  it('are none for no commands', () => {
    expect(commandSections([])).toEqual([]);
  });
});
