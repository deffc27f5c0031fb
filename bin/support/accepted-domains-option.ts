/** `--accepted-domains`: an inline comma list, or a file (Get-AcceptedDomain CSV or one per line). */
import { readFile, stat } from 'node:fs/promises';
import { type AcceptedDomainList, parseAcceptedDomains } from '../../functions/core/accepted-domains.js';

export async function loadAcceptedDomains(
  value: string,
): Promise<{ list: AcceptedDomainList; origin: string }> {
  const isFile = await stat(value).then(
    (info) => info.isFile(),
    () => false,
  );
  if (isFile) return { list: parseAcceptedDomains(await readFile(value, 'utf8'), value), origin: value };
  return { list: parseAcceptedDomains(value, 'the --accepted-domains list'), origin: 'the command line' };
}
