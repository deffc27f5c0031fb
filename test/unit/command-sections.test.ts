/**
 * What language each remediation command is in, as the CLI and the dashboard title it: a relay's
 * findings hold its shell commands or configuration lines next to Exchange Online PowerShell, and
 * each must be titled by what it is. Every command any scenario writes, for Exchange and for each
 * relay, is checked here, so a new command cannot be titled wrongly unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { SCENARIO_IDS } from '../../functions/core/analysis/model/findings.js';
import { type RemediationContext, remediationFor } from '../../functions/core/analysis/remediation/index.js';
import {
  type CommandLanguage,
  commandLanguage,
  commandSections,
  type RelaySoftware,
} from '../../functions/core/analysis/remediation/relay-software.js';
import { HOW_TO_EXPORT } from '../../functions/core/organisation/configuration.js';

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

describe('the language of each command', () => {
  it('is PowerShell for every command of an Exchange finding and of the readiness exports', () => {
    const commands = [...allCommands(undefined), ...Object.values(HOW_TO_EXPORT).map((how) => how.command)];
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands)
      expect([command, commandLanguage(command)]).toEqual([command, 'powershell']);
  });

  it.each(Object.keys(RELAY_LINES) as RelaySoftware[])(
    "%s: PowerShell for the cmdlets, the relay's own language for its lines",
    (relay) => {
      const commands = allCommands(relay);
      const own = commands.filter((command) => !CMDLET.test(command));
      // Every relay's advice has its own lines but IIS's, which are all PowerShell or in the steps.
      expect(own.length > 0).toBe(relay !== 'iis-smtp');
      for (const command of commands.filter((command) => CMDLET.test(command))) {
        expect([command, commandLanguage(command)]).toEqual([command, 'powershell']);
      }
      for (const command of own) {
        const line = RELAY_LINES[relay].find(([first]) => first.test(command));
        expect(line, `a ${relay} line this test does not know: ${command}`).toBeDefined();
        expect([command, commandLanguage(command)]).toEqual([command, line?.[1]]);
      }
    },
  );
});

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

  it('are none for no commands', () => {
    expect(commandSections([])).toEqual([]);
  });
});
