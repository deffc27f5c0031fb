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
 * A value that names a file rather than domains: a path, or a file ending no top-level domain is
 * spelt like. Without this check a mistyped file name (`acepted-domains.csv`) would be read as the
 * one accepted domain "acepted-domains.csv", and every refusal judged against it.
 */
const LOOKS_LIKE_A_FILE = /[/\\]|\.(?:csv|tsv|txt|json|xml|lst|list|log)$/i;

export async function loadAcceptedDomains(
  value: string,
): Promise<{ list: AcceptedDomainList; origin: string }> {
  const kind = await stat(value).then(
    (info) => (info.isFile() ? 'file' : info.isDirectory() ? 'directory' : 'other'),
    () => 'missing' as const,
  );
  if (kind === 'file') {
    // Decoded as every input is (a BOM, UTF-16 sniffed): Windows PowerShell 5.1 `>` writes UTF-16LE.
    const text = configText(await readFile(value), value, ACCEPTED_DOMAINS_EXPECTED);
    return { list: parseAcceptedDomains(text, value), origin: value };
  }
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
