/**
 * relay-audit command line: dispatches to the commands and maps errors to exit statuses —
 * 0 success, 1 an input could not be analysed (the others still were), 2 usage error.
 */
import { ErrorCode, RelayAuditError } from '../functions/core/errors.js';
import { ANALYZE_USAGE, runAnalyze } from './commands/analyze.js';
import { CHECK_USAGE, runCheck } from './commands/check.js';
import { FINDINGS_USAGE, runFindings } from './commands/findings.js';
import { REPORT_USAGE, runReport } from './commands/report.js';
import { runServe, SERVE_USAGE } from './commands/serve.js';
import { type Output, processOutput } from './support/output.js';

const USAGE = `relay-audit — why Exchange Online refuses to relay your on-premises mail, and what to change

Usage:
  relay-audit analyze <file|dir>... [--accepted-domains <list|file>] [--connectors <json>] [--db DIR] [--json] [--no-store]
  relay-audit findings [--scenario S] [--sender-domain D] [--since T] [--until T] [--limit N] [--format table|json|ndjson|csv]
  relay-audit check --accepted-domains <list|file> [--connectors <json>] [--certificate <pem>]... [--at T] [--json] [--store]
  relay-audit report [--date YYYY-MM-DD] [--look-back N] [--out DIR] [--db DIR] [--json]
  relay-audit serve [--db DIR] [--port 8787] [--host 127.0.0.1]
  relay-audit help [command]

Run "relay-audit help analyze" for the options of a command.`;

const COMMANDS: Record<string, { usage: string; run: (argv: string[], out: Output) => Promise<number> }> = {
  analyze: { usage: ANALYZE_USAGE, run: runAnalyze },
  findings: { usage: FINDINGS_USAGE, run: runFindings },
  check: { usage: CHECK_USAGE, run: runCheck },
  report: { usage: REPORT_USAGE, run: runReport },
  serve: { usage: SERVE_USAGE, run: runServe },
};

/** Runs the CLI and returns the exit status (exported for tests). */
export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    await out.write(`${topic?.usage ?? USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    out.error(`relay-audit: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    await out.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, out);
  } catch (error) {
    // parseArgs throws TypeErrors with code ERR_PARSE_ARGS_* for unknown or malformed options.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      out.error(`relay-audit ${name}: ${(error as Error).message}\n\n${command.usage}`);
      return 2;
    }
    if (error instanceof RelayAuditError) {
      out.error(`relay-audit ${name}: ${error.message}`);
      return error.code === ErrorCode.InvalidArgument || error.code === ErrorCode.InvalidConfig ? 2 : 1;
    }
    throw error;
  }
}
