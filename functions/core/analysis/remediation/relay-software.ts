/**
 * Relays that are not Exchange (Postfix, sendmail, Exim, the IIS 6 SMTP service): which one wrote
 * a finding's log, how that relay presents a TLS client certificate with its chain to Exchange
 * Online — the on-premises half of KB 3169958's certificate-based attribution (KB 3212877 for the
 * IIS SMTP service) — and where its smart host is set, in each MTA's own settings. Also what
 * language each remediation command is in, for the CLI and the dashboard. Type imports only, so the
 * browser bundle can import it.
 */
import type { FormatId } from '../model/events.js';

export type RelaySoftware = 'postfix' | 'sendmail' | 'exim' | 'iis-smtp';

const BY_FORMAT: Partial<Record<FormatId, RelaySoftware>> = {
  'postfix-log': 'postfix',
  'sendmail-log': 'sendmail',
  'exim-log': 'exim',
  'iis-smtp-log': 'iis-smtp',
};

/** The relay software whose log a format is, or `undefined` for Exchange and Exchange Online inputs. */
export function relaySoftwareOf(format: FormatId): RelaySoftware | undefined {
  return BY_FORMAT[format];
}

/** What the advice for a refusal in one relay's log says of that relay: its settings and its log. */
export interface RelayAdvice {
  /** The product's name for prose. */
  name: string;
  /** How to make it present the certificate with its chain, keeping `endpoint` as its smart host. */
  certificateStep: (certificate: string, endpoint: string) => string;
  /** The configuration lines or commands of that step. */
  certificateCommands: (certificate: string, endpoint: string) => string[];
  /** Its smart host setting, for prose: what must name the tenant's MX endpoint. */
  smartHost: string;
  /** How to point that setting at `endpoint`, the tenant's MX endpoint, and make the relay use it. */
  smartHostStep: (endpoint: string) => string;
  /** The configuration lines or commands of that step. */
  smartHostCommands: (endpoint: string) => string[];
  /**
   * How to make it connect to Exchange Online over IPv4, for a relay that reached it over IPv6 (no
   * connector can list an IPv6 address), as prose and as configuration lines or commands.
   */
  ipv4Step: string;
  ipv4Commands: string[];
  /** The command that looks up `domain`'s MX endpoint on a Unix relay (`undefined`: Windows, Resolve-DnsName). */
  mxLookup: ((domain: string) => string) | undefined;
  /**
   * Where the next attempt of `what` (e.g. `message from contoso.com`) shows whether the change
   * worked, and the command that finds it in the relay's own log.
   */
  verify: (what: string, refusal: RefusalText) => string;
}

/** The refusal as a relay's log writes it: the bare status code, and the code with its ATTR marker for prose. */
export interface RefusalText {
  /** Enhanced status code, e.g. `5.7.64`: what the log's dsn= field holds. */
  code: string;
  /** `5.7.64 ATTR36` style, for prose. */
  codeText: string;
}

/** A 4.x.x refusal is retried (deferred), a 5.x.x one returned to the sender (bounced). */
function isTemporary({ code }: RefusalText): boolean {
  return code.startsWith('4');
}

/** What the admin greps for: the relay's logs name the recipient on every delivery line. */
const RECIPIENT = '<recipient address>';

/** `value` as one word of a POSIX shell command: bare when it is a plain name, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9._-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The MX lookup on a Unix relay (dig is in bind9-dnsutils or bind-utils, on most relays already). */
const digMx = (domain: string): string => `dig +short MX ${shellWord(domain)}`;

/** Why the smart host must be the tenant's own name, said the same way for every relay. */
const ONLY_THE_ENDPOINT = "not an IP address, not another tenant's or region's host";

/**
 * How a Windows server (Exchange, the IIS SMTP service) prefers IPv4 without turning IPv6 off: the
 * DisabledComponents value 0x20 puts IPv4 before IPv6 in the prefix policies (Microsoft's guidance for
 * configuring IPv6 in Windows), after a restart.
 */
export const WINDOWS_PREFER_IPV4 = {
  step:
    'make Windows prefer IPv4 over IPv6 (IPv6 stays on): set the DisabledComponents value under ' +
    'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip6\\Parameters to 0x20 (command below) and restart the server',
  command:
    "New-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\Tcpip6\\Parameters' -Name DisabledComponents " +
    '-PropertyType DWord -Value 0x20 -Force',
} as const;

export const RELAY_SOFTWARE: Readonly<Record<RelaySoftware, RelayAdvice>> = {
  postfix: {
    name: 'Postfix',
    certificateStep: (certificate, endpoint) =>
      `Make Postfix present the certificate when it relays: set smtp_tls_cert_file to the certificate for ` +
      `${certificate} followed by its intermediate CA certificates (one PEM file) and smtp_tls_key_file to its ` +
      `private key, require TLS with smtp_tls_security_level = encrypt, keep relayhost on [${endpoint}]:25, and ` +
      'run postfix reload.',
    certificateCommands: (certificate, endpoint) => [
      `postconf -e 'smtp_tls_cert_file = /etc/postfix/tls/${certificate}.fullchain.pem' 'smtp_tls_key_file = /etc/postfix/tls/${certificate}.key' 'smtp_tls_security_level = encrypt' 'relayhost = [${endpoint}]:25' && postfix reload`,
    ],
    smartHost: "Postfix's relayhost",
    smartHostStep: (endpoint) =>
      `Set Postfix's relayhost to that endpoint only, ${ONLY_THE_ENDPOINT}: relayhost = [${endpoint}]:25 ` +
      '(the brackets make Postfix connect to that name instead of looking up its MX), then run postfix reload.',
    smartHostCommands: (endpoint) => [`postconf -e 'relayhost = [${endpoint}]:25' && postfix reload`],
    // Postfix 2.8 on; it still uses IPv6 for a host without an IPv4 address, which Exchange Online's are not.
    ipv4Step: 'make Postfix prefer IPv4: smtp_address_preference = ipv4, then run postfix reload',
    ipv4Commands: ["postconf -e 'smtp_address_preference = ipv4' && postfix reload"],
    mxLookup: digMx,
    verify: (what, refusal) =>
      `the to= line of the next ${what} should say status=sent (250 2.6.0 …) instead of ` +
      `status=${isTemporary(refusal) ? 'deferred' : 'bounced'} with ${refusal.codeText}; ` +
      `grep -F '${RECIPIENT}' /var/log/mail.log shows it (/var/log/maillog on Red Hat and its relatives)`,
  },
  sendmail: {
    name: 'sendmail',
    certificateStep: (certificate, endpoint) =>
      `Make sendmail present the certificate when it relays: in sendmail.mc set confCLIENT_CERT to the ` +
      `certificate for ${certificate} (with its intermediate CA certificates) and confCLIENT_KEY to its key, keep ` +
      `SMART_HOST as [${endpoint}], rebuild sendmail.cf and restart sendmail.`,
    certificateCommands: (certificate, endpoint) => [
      `define(\`confCLIENT_CERT', \`/etc/mail/tls/${certificate}.fullchain.pem')dnl`,
      `define(\`confCLIENT_KEY', \`/etc/mail/tls/${certificate}.key')dnl`,
      `define(\`SMART_HOST', \`[${endpoint}]')dnl`,
    ],
    smartHost: "sendmail's SMART_HOST",
    smartHostStep: (endpoint) =>
      `Set sendmail's SMART_HOST to that endpoint only, ${ONLY_THE_ENDPOINT}: in sendmail.mc, ` +
      `define(\`SMART_HOST', \`[${endpoint}]')dnl (the brackets skip the MX lookup of the name), then ` +
      'rebuild sendmail.cf and restart sendmail.',
    smartHostCommands: (endpoint) => [`define(\`SMART_HOST', \`[${endpoint}]')dnl`],
    ipv4Step:
      "make sendmail connect over IPv4: in sendmail.mc, CLIENT_OPTIONS(`Family=inet')dnl, then rebuild " +
      'sendmail.cf and restart sendmail',
    ipv4Commands: ["CLIENT_OPTIONS(`Family=inet')dnl"],
    mxLookup: digMx,
    verify: (what, refusal) =>
      `the to= line of the next ${what} should say stat=Sent instead of dsn=${refusal.code}; ` +
      `grep -F '${RECIPIENT}' /var/log/maillog shows it (/var/log/mail.log on Debian and Ubuntu)`,
  },
  exim: {
    name: 'Exim',
    certificateStep: (certificate, endpoint) =>
      `Make Exim present the certificate when it relays: on the smtp transport the smarthost router ` +
      `(${endpoint}) uses, set tls_certificate to the certificate for ${certificate} (with its intermediate CA ` +
      'certificates) and tls_privatekey to its key, and hosts_require_tls = * so it never falls back to plain text.',
    certificateCommands: (certificate) => [
      `tls_certificate = /etc/exim4/tls/${certificate}.fullchain.pem`,
      `tls_privatekey = /etc/exim4/tls/${certificate}.key`,
      'hosts_require_tls = *',
    ],
    smartHost: "the route_list of Exim's smarthost router",
    smartHostStep: (endpoint) =>
      `Point Exim's smart host at that endpoint only, ${ONLY_THE_ENDPOINT}: in the manualroute router that ` +
      `relays to Exchange Online, route_list = * ${endpoint}; on Debian and Ubuntu, ` +
      `dc_smarthost='${endpoint}' in /etc/exim4/update-exim4.conf.conf, then run update-exim4.conf. ` +
      'Restart Exim.',
    smartHostCommands: (endpoint) => [`route_list = * ${endpoint}`, `dc_smarthost='${endpoint}'`],
    // Only A records for hosts in these domains: Exchange Online's, and nothing else the relay sends to.
    ipv4Step:
      "make Exim look up only the IPv4 addresses of Exchange Online's hosts: in the main section, " +
      'dns_ipv4_lookup = *.mail.protection.outlook.com : *.mx.microsoft, then restart Exim',
    ipv4Commands: ['dns_ipv4_lookup = *.mail.protection.outlook.com : *.mx.microsoft'],
    mxLookup: digMx,
    verify: (what, refusal) =>
      `the next ${what} should be delivered with a => line instead of ${isTemporary(refusal) ? '==' : '**'} ` +
      `with ${refusal.codeText}; exigrep '${RECIPIENT}' /var/log/exim4/mainlog shows its lines ` +
      '(/var/log/exim/main.log on Red Hat and its relatives)',
  },
  'iis-smtp': {
    name: 'the IIS SMTP service',
    // KB 3212877: an IIS SMTP server relaying to a connector with certificate validation presents the
    // virtual server's certificate, and fails until the intermediate CAs are in the machine's CA store.
    certificateStep: (certificate, endpoint) =>
      `Make the IIS SMTP service present the certificate when it relays: in IIS 6.0 Manager, open the SMTP ` +
      `virtual server's Properties, Access tab, Certificate, and install the certificate for ${certificate} ` +
      '(from a public CA, with its private key); on the Delivery tab, Outbound Security, select TLS encryption; ' +
      `keep ${endpoint} as its smart host. So that the service sends the full chain (KB 3212877), ` +
      "import the intermediate CA certificates into the local computer's Intermediate Certification Authorities " +
      'store (Cert:\\LocalMachine\\CA, command below); then restart the SMTP service.',
    certificateCommands: () => [
      `Import-Certificate -FilePath 'C:\\certs\\<intermediate CA certificate>.cer' -CertStoreLocation Cert:\\LocalMachine\\CA`,
      'Restart-Service SMTPSVC',
    ],
    smartHost: "the SMTP virtual server's smart host",
    smartHostStep: (endpoint) =>
      `Set the SMTP virtual server's smart host to that endpoint only, ${ONLY_THE_ENDPOINT}: in IIS 6.0 ` +
      `Manager, open the virtual server's Properties, Delivery tab, Advanced, enter ${endpoint} as Smart host ` +
      'and clear "Attempt direct delivery before sending to smart host".',
    // The IIS 6.0 Manager is where the documentation sets it; no command is given.
    smartHostCommands: () => [],
    ipv4Step: WINDOWS_PREFER_IPV4.step,
    ipv4Commands: [WINDOWS_PREFER_IPV4.command],
    // A Windows server: Resolve-DnsName, as on Exchange.
    mxLookup: undefined,
    verify: (what, refusal) =>
      `the RCPT TO of the next ${what} should be answered 250 instead of ${refusal.codeText} in the SMTP ` +
      `service's log; Select-String -Path "$env:SystemRoot\\System32\\LogFiles\\SMTPSVC1\\ex*.log" ` +
      `-Pattern '${RECIPIENT}' -SimpleMatch -Context 0,2 shows it (SMTPSVC1 is the first virtual SMTP server)`,
  },
};

/**
 * The language of a remediation command. A finding from a relay log holds the relay's shell commands
 * or configuration lines next to Exchange Online PowerShell, so the CLI and the dashboard title each
 * run of commands by what it is. Told from the text itself, so findings stored before relays had
 * advice of their own (all PowerShell) are titled the same way. `windows-powershell` is Windows' own
 * cmdlets (importing a CA certificate, restarting the IIS SMTP service, an MX lookup, a registry value), run in a
 * PowerShell on the server itself: titled as Exchange's, they read as if Exchange Online ran them.
 */
export type CommandLanguage = 'powershell' | 'windows-powershell' | 'shell' | 'sendmail-mc' | 'exim-config';

/** How each language is titled (the CLI prints `title`, the dashboard `title (where)`). */
export const COMMAND_LANGUAGES: Readonly<Record<CommandLanguage, { title: string; where: string }>> = {
  powershell: { title: 'PowerShell', where: 'Exchange Online / Exchange Management Shell' },
  'windows-powershell': {
    title: 'Windows PowerShell',
    where: 'on the server itself, not in Exchange Online',
  },
  shell: { title: 'Shell', where: 'on the relay' },
  'sendmail-mc': { title: 'sendmail.mc', where: "lines for the relay's sendmail.mc" },
  'exim-config': { title: 'Exim configuration', where: 'lines for the files the steps name' },
};

/**
 * A cmdlet's name is Verb-Noun (Get-InboundConnector, Resolve-DnsName, ConvertTo-Json, ForEach-Object);
 * no Unix command is spelled so.
 */
const CMDLET = '[A-Z][a-z]+(?:[A-Z][a-z]+)*-[A-Z][A-Za-z]*';

/**
 * How a PowerShell line begins: a cmdlet; a variable assigned (`$cert = Get-ExchangeCertificate …`)
 * or used (`$cert.Thumbprint`); or a cmdlet's output in parentheses (`(Get-AcceptedDomain).DomainName`).
 * A POSIX shell line never starts `$name =` (that runs the variable's value as a command) nor `(Verb-Noun`.
 */
const POWERSHELL_START = new RegExp(
  String.raw`^(?:${CMDLET}(?:\s|$)|\$[A-Za-z_]\w*(?:\s*[-+*/]?=\s|\.[A-Za-z])|\(\s*${CMDLET}[\s)])`,
);

/** A pipeline into a cmdlet, whatever it starts with: `'a@contoso.com','b@contoso.com' | ForEach-Object { … }`. */
const INTO_CMDLET = new RegExp(String.raw`\|\s*${CMDLET}(?:\s|$)`);

/**
 * The cmdlets of Windows itself the advice starts a line with, which no Exchange cmdlet session is
 * needed for: the certificate store, the service, DNS, a log search.
 */
const WINDOWS_CMDLET_START =
  /^(?:Import-Certificate|New-ItemProperty|Restart-Service|Resolve-DnsName|Select-String)(?:\s|$)/;

/** The language of one command, by how it starts (or, for PowerShell, a cmdlet it pipes into). */
export function commandLanguage(command: string): CommandLanguage {
  if (WINDOWS_CMDLET_START.test(command)) return 'windows-powershell';
  if (POWERSHELL_START.test(command) || INTO_CMDLET.test(command)) return 'powershell';
  // An m4 macro call: define(`SMART_HOST', …)dnl.
  if (/^[A-Za-z_]+\(`/.test(command)) return 'sendmail-mc';
  // An option line: tls_certificate = …, route_list = …, dc_smarthost='…' (Postfix's go through postconf).
  if (/^[a-z][a-z0-9_]*\s*=/.test(command)) return 'exim-config';
  return 'shell';
}

/** Consecutive commands in one language, with the position of its first one among all of them. */
export interface CommandSection {
  language: CommandLanguage;
  title: string;
  where: string;
  /** Index of `commands[0]` in the remediation's commands (numbering and Copy buttons go on across sections). */
  first: number;
  commands: string[];
}

/** `commands` in order, split where the language changes. */
export function commandSections(commands: readonly string[]): CommandSection[] {
  const sections: CommandSection[] = [];
  commands.forEach((command, index) => {
    const language = commandLanguage(command);
    const last = sections.at(-1);
    if (last?.language === language) last.commands.push(command);
    else sections.push({ language, ...COMMAND_LANGUAGES[language], first: index, commands: [command] });
  });
  return sections;
}
