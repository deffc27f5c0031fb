/**
 * relay-audit command line: dispatches to the commands and maps errors to exit statuses —
 * 0 success, 1 an input could not be analysed (the others still were), 2 usage error.
 */
import { closestWord } from '../functions/core/kernel/closest-word.js';
import { ErrorCode, RelayAuditError, StoreError } from '../functions/core/kernel/errors.js';
import {
  ANALYZE,
  CHECK,
  COMMAND_DEFINITIONS,
  FINDINGS,
  REANALYZE,
  REPORT,
  SERVE,
  UPLOAD,
} from './commands/definitions.js';
import { type CommandDefinition, synopsisLine, usageText } from './support/command.js';
import { type Output, processOutput } from './support/output.js';

const USAGE = [
  'relay-audit — why Exchange Online refuses to relay your on-premises mail, and what to change',
  '',
  'Usage:',
  ...COMMAND_DEFINITIONS.map((command) => `  ${synopsisLine(command)}`),
  '  relay-audit help [command]',
  '',
  'Run "relay-audit help analyze" for the options of a command.',
].join('\n');

interface Command {
  usage: string;
  run(argv: string[], out: Output): Promise<number>;
}

/**
 * Commands are imported when used: `analyze --no-store` should not pay for loading the AWS SDK,
 * the API or the readiness checks (startup time counts on every run, and in the benchmark).
 */
const COMMANDS = new Map<string, () => Promise<Command>>([
  [
    'analyze',
    async () => {
      const m = await import('./commands/analyze.js');
      return { usage: usageText(ANALYZE), run: m.runAnalyze };
    },
  ],
  [
    'findings',
    async () => {
      const m = await import('./commands/findings.js');
      return { usage: usageText(FINDINGS), run: m.runFindings };
    },
  ],
  [
    'check',
    async () => {
      const m = await import('./commands/check.js');
      return { usage: usageText(CHECK), run: m.runCheck };
    },
  ],
  [
    'report',
    async () => {
      const m = await import('./commands/report.js');
      return { usage: usageText(REPORT), run: m.runReport };
    },
  ],
  [
    'serve',
    async () => {
      const m = await import('./commands/serve.js');
      return { usage: usageText(SERVE), run: m.runServe };
    },
  ],
  [
    'upload',
    async () => {
      const m = await import('./commands/upload.js');
      return { usage: usageText(UPLOAD), run: (argv, out) => m.runUpload(argv, out) };
    },
  ],
  [
    'reanalyze',
    async () => {
      const m = await import('./commands/reanalyze.js');
      return { usage: usageText(REANALYZE), run: (argv, out) => m.runReanalyze(argv, out) };
    },
  ],
]);

/** Each command's name and aliases (`analyse`, the British spelling) → the command's name. */
const COMMAND_NAMES = new Map<string, string>(
  (COMMAND_DEFINITIONS as readonly CommandDefinition[]).flatMap((command) => [
    [command.name, command.name],
    ...(command.aliases ?? []).map((alias) => [alias, command.name] as [string, string]),
  ]),
);

/** The command `name` names, if any. */
function commandNamed(name: string): (() => Promise<Command>) | undefined {
  const canonical = COMMAND_NAMES.get(name);
  return canonical === undefined ? undefined : COMMANDS.get(canonical);
}

/** Runs the CLI and returns the exit status (exported for tests). */
export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    await out.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === 'help') {
    // `help --help` (or `help analyze -h`) asks for help too: not a command named "--help".
    const topic = rest.find((word) => word !== '--help' && word !== '-h');
    if (topic === undefined || topic === 'help') {
      await out.write(`${USAGE}\n`);
      return 0;
    }
    const load = commandNamed(topic);
    if (!load) return unknownCommand(topic, out);
    await out.write(`${(await load()).usage}\n`);
    return 0;
  }
  const load = commandNamed(name);
  if (!load) return unknownCommand(name, out);
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    await out.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, out);
  } catch (error) {
    if (error instanceof RelayAuditError) {
      out.error(`relay-audit ${name}: ${error instanceof StoreError ? withCauses(error) : error.message}`);
      return error.code === ErrorCode.InvalidArgument || error.code === ErrorCode.InvalidConfig ? 2 : 1;
    }
    throw error;
  }
}

function unknownCommand(name: string, out: Output): number {
  const meant = closestWord(name, [...COMMAND_NAMES.keys(), 'help']);
  out.error(
    `relay-audit: unknown command "${name}"${meant === undefined ? '' : `; did you mean ${meant}?`}\n\n${USAGE}`,
  );
  return 2;
}

/**
 * A store error's message followed by what caused it, which is where the useful detail is:
 * "cannot create the store directory /data/x: ENOTDIR: not a directory, mkdir '/data/x'".
 */
function withCauses(error: Error): string {
  let text = error.message;
  let cause = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++) {
    if (!text.includes(cause.message)) text += `: ${cause.message}`;
    cause = cause.cause;
  }
  return text;
}
