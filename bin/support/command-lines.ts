/**
 * A remediation's commands as the CLI prints them: each run of commands under the title of its
 * language (`PowerShell:`, `Shell:`, `sendmail.mc:`…), in order, indented under a finding or result.
 */
import { commandSections } from '../../functions/core/analysis/remediation/relay-software.js';

export function commandLines(commands: readonly string[]): string[] {
  return commandSections(commands).flatMap((section) => [
    `  ${section.title}:`,
    ...section.commands.map((command) => `    ${command}`),
  ]);
}
