/** `--accepted-domains`: an inline comma list, or a file (Get-AcceptedDomain CSV or one per line). */
import { readFile, stat } from 'node:fs/promises';
import { ArgumentError } from '../../functions/core/kernel/errors.js';
import {
  ACCEPTED_DOMAINS_EXPECTED,
  type AcceptedDomainList,
  parseAcceptedDomains,
} from '../../functions/core/organisation/accepted-domains.js';
import { configText } from '../../functions/core/organisation/config-text.js';

/**
 * Extensions of files people keep domain lists in, exports, configuration, documents and backups,
 * none of them a top-level domain (IANA's list: `.md`, `.zip`, `.sh` and `.tab` are, so they are
 * not here). A missing file ending in one is a mistyped file name, not the one accepted domain
 * `domains.xlsx` that every refusal would then be judged against.
 */
export const FILE_EXTENSIONS: readonly string[] = [
  // Lists and exports
  'csv',
  'tsv',
  'txt',
  'text',
  'json',
  'xml',
  'lst',
  'list',
  'log',
  'prn',
  'dif',
  // Spreadsheets
  'xlsx',
  'xls',
  'xlsm',
  'xlsb',
  'ods',
  'numbers',
  // Configuration
  'dat',
  'cfg',
  'conf',
  'config',
  'ini',
  'yaml',
  'yml',
  'toml',
  // Documents
  'doc',
  'docx',
  'odt',
  'rtf',
  'pdf',
  'html',
  'htm',
  // Copies and leftovers
  'bak',
  'old',
  'orig',
  'tmp',
  'temp',
  'out',
];

/** A value that names a file rather than domains: a path, or a name ending in a file extension. */
const LOOKS_LIKE_A_FILE = new RegExp(`[/\\\\]|\\.(?:${FILE_EXTENSIONS.join('|')})$`, 'i');

/** How a spreadsheet workbook starts: a ZIP archive (.xlsx, .xlsm, .ods) or an OLE2 file (.xls). */
const WORKBOOK_SIGNATURES = [
  Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
];

export async function loadAcceptedDomains(
  value: string,
): Promise<{ list: AcceptedDomainList; origin: string }> {
  const kind = await stat(value).then(
    (info) => (info.isFile() ? 'file' : info.isDirectory() ? 'directory' : 'other'),
    () => 'missing' as const,
  );
  if (kind === 'file') return { list: readDomainsFile(value, await readFile(value)), origin: value };
  if (kind === 'directory')
    throw new ArgumentError(`--accepted-domains: ${value} is a directory, not a file`);
  if (kind === 'missing' && LOOKS_LIKE_A_FILE.test(value.trim())) {
    throw new ArgumentError(
      `--accepted-domains: no such file: ${value}. Give a Get-AcceptedDomain | Export-Csv file, a file with ` +
        'one domain per line, or the domains themselves (contoso.com,fabrikam.com)',
    );
  }
  return { list: parseAcceptedDomains(value, 'the --accepted-domains list'), origin: 'the command line' };
}

function readDomainsFile(file: string, bytes: Buffer): AcceptedDomainList {
  if (WORKBOOK_SIGNATURES.some((signature) => bytes.subarray(0, signature.length).equals(signature))) {
    throw new ArgumentError(
      `--accepted-domains ${file}: an Excel workbook (or another ZIP or OLE file), not text: save it as CSV ` +
        '(Get-AcceptedDomain | Export-Csv -NoTypeInformation accepted-domains.csv, or Save As CSV in Excel)',
    );
  }
  // Decoded as every input is (a BOM, UTF-16 sniffed): Windows PowerShell 5.1 `>` writes UTF-16LE.
  const text = configText(bytes, file, ACCEPTED_DOMAINS_EXPECTED);
  // No domain list starts with `[` or `{`: JSON, read line by line, would only say "[" is no domain.
  const opening = /\S/.exec(text)?.[0];
  if (opening === '[' || opening === '{') throw new ArgumentError(jsonAdvice(file, text));
  if (isPowerShellTable(text)) {
    throw new ArgumentError(
      `--accepted-domains ${file}: PowerShell's table output (Get-AcceptedDomain > file), whose columns ` +
        'cannot be read reliably; export the domains instead: Get-AcceptedDomain | Export-Csv ' +
        '-NoTypeInformation accepted-domains.csv, or one per line: Get-AcceptedDomain | Select-Object ' +
        '-ExpandProperty DomainName > domains.txt',
    );
  }
  return parseAcceptedDomains(text, file);
}

/**
 * What to do with JSON given as the accepted domains. It is not read, even `Get-AcceptedDomain |
 * ConvertTo-Json`: its shape depends on the session that wrote it (DomainName a string through a
 * remote session, an object of the Exchange type in the Exchange Management Shell, cut to a type
 * name past ConvertTo-Json's default depth of 2; DomainType a name or an enum number), and a misread
 * list misjudges every refusal, when the CSV export is one command away. The inbound connectors
 * export is the JSON most often given here by mistake: it is told apart, and sent to --connectors.
 */
function jsonAdvice(file: string, text: string): string {
  const connectors = /"ConnectorType"\s*:/.test(text)
    ? ' It looks like the inbound connectors export (Get-InboundConnector | ConvertTo-Json): give that to --connectors.'
    : '';
  return (
    `--accepted-domains ${file}: JSON (ConvertTo-Json), which --accepted-domains does not read.${connectors} ` +
    'Export the accepted domains as CSV: Get-AcceptedDomain | Export-Csv -NoTypeInformation accepted-domains.csv, ' +
    'or one per line: Get-AcceptedDomain | Select-Object -ExpandProperty DomainName > domains.txt'
  );
}

/**
 * `Get-AcceptedDomain > file` saves what the console shows (Format-Table): a header line of column
 * names (`Name  DomainName  DomainType  Default`) and a line of dashes under it.
 */
function isPowerShellTable(text: string): boolean {
  const lines = text.split(/\r\n?|\n/).filter((line) => line.trim() !== '');
  const dashes = lines.findIndex((line) => /^\s*-{2,}(?:\s+-{2,})+\s*$/.test(line));
  return dashes > 0 && /\bDomainName\b/i.test(lines[dashes - 1] ?? '');
}

/**
 * The accepted domains as the reports show them, saying which cover their subdomains
 * (`fabrikam-group.com (+subdomains)`, or `*.contoso.com` as it was given): that decides whether a
 * subdomain sender is connector-mismatch or foreign-sender-domain, so the run's header shows it.
 */
export function acceptedDomainNames(list: AcceptedDomainList): string[] {
  const names = list.entries.map(
    (entry) =>
      `${entry.domain}${entry.matchSubDomains && !entry.domain.startsWith('*.') ? ' (+subdomains)' : ''}`,
  );
  return [...new Set(names)];
}
