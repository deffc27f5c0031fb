/**
 * One definition per command: its synopsis, description and options, from which come the
 * general usage line, `relay-audit help <command>`, the options `node:util` `parseArgs` reads and
 * the zod schema the values are checked with — so the help text cannot disagree with what the
 * command accepts. Definitions are data (no zod here), so `relay-audit help` stays fast.
 */
import { parseArgs } from 'node:util';
import { closestWord } from '../../functions/core/kernel/closest-word.js';
import { ArgumentError } from '../../functions/core/kernel/errors.js';

export interface OptionDefinition {
  readonly type: 'string' | 'boolean';
  /** Repeatable (`--certificate a.pem --certificate b.pem`). */
  readonly multiple?: boolean;
  /** What the value looks like in the help, e.g. `<dir>`; string options only. */
  readonly value?: string;
  /** The help text; further lines are indented under the first. */
  readonly help: string;
}

export interface CommandDefinition {
  readonly name: string;
  /** The arguments in the general usage line, e.g. `<file|dir>... [--accepted-domains <list|file>]`. */
  readonly synopsis: string;
  /** The arguments in the command's own help, e.g. `<file|dir>... [options]`. */
  readonly usage: string;
  readonly description: string;
  readonly options: Readonly<Record<string, OptionDefinition>>;
  /** Said after the options (exit statuses, a hint). */
  readonly footer?: string;
  /**
   * What the command takes as arguments besides its options (`a file or directory`). Without it the
   * command takes none: `reanalyze cli/EX01/` must not quietly re-analyse the whole bucket.
   */
  readonly positionals?: string;
  /**
   * The option a stray argument most likely lacks: `reanalyze cli/EX01/` meant `--prefix cli/EX01/`,
   * `findings ndr` meant `--scenario ndr` (a function of the argument; none when nothing fits).
   */
  readonly strayArgumentOption?: string | ((stray: string) => string | undefined);
  /** Other names the command answers to (`analyse`, the British spelling the README's prose uses). */
  readonly aliases?: readonly string[];
}

/** Column the option help starts at. */
const HELP_COLUMN = 26;

function optionLabel(name: string, option: OptionDefinition): string {
  return option.type === 'string' && option.value !== undefined ? `--${name} ${option.value}` : `--${name}`;
}

/** `relay-audit help <command>`: usage, description, options, footer. */
export function usageText(command: CommandDefinition): string {
  const lines = [`relay-audit ${command.name} ${command.usage}`, '', command.description, '', 'Options:'];
  for (const [name, option] of Object.entries(command.options)) {
    const label = `  ${optionLabel(name, option)}`;
    const [first, ...more] = option.help.split('\n');
    lines.push(
      label.length < HELP_COLUMN
        ? `${label.padEnd(HELP_COLUMN)}${first}`
        : `${label}\n${' '.repeat(HELP_COLUMN)}${first}`,
    );
    for (const line of more) lines.push(`${' '.repeat(HELP_COLUMN)}${line}`);
  }
  if (command.footer !== undefined) lines.push('', command.footer);
  return lines.join('\n');
}

/** The general usage line of a command. */
export function synopsisLine(command: CommandDefinition): string {
  return `relay-audit ${command.name} ${command.synopsis}`;
}

/** The values `parseArgs` gives for a command's options, typed from the definition. */
export type RawValues<O extends CommandDefinition['options']> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean'
    ? boolean
    : O[K]['multiple'] extends true
      ? string[]
      : string;
};

/** The options as `parseArgs` takes them. */
type ParseOptions = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/**
 * Reads `argv` with `parseArgs` using exactly the definition's options. Every mistake is a usage
 * error ({@link ArgumentError}) that says what to type instead: an unknown option names the closest
 * one, a single-value option given twice (see {@link rejectRepeatedOptions}), an empty value, or an
 * argument the command does not take.
 */
export function readCommandLine<D extends CommandDefinition>(
  command: D,
  argv: string[],
): { values: RawValues<D['options']>; positionals: string[] } {
  const options: ParseOptions = {};
  for (const [name, option] of Object.entries(command.options)) {
    options[name] = option.multiple ? { type: option.type, multiple: true } : { type: option.type };
  }
  rejectUnknownOptions(command, argv, options);
  const { values, positionals, tokens } = parseStrictly(argv, options);
  rejectRepeatedOptions(command, tokens);
  rejectEmptyValues(command, values);
  rejectPositionals(command, positionals);
  return { values: values as RawValues<D['options']>, positionals };
}

function parseStrictly(args: string[], options: ParseOptions) {
  try {
    return parseArgs({ args, allowPositionals: true, options, strict: true, tokens: true });
  } catch (error) {
    // A value missing (`--db` last) or given to a switch (`--json=yes`): Node's message says which.
    throw new ArgumentError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/**
 * An option the command does not define, named with the one most likely meant: Node's own message
 * ("place it at the end of the command after '--'") suits a value starting with `-`, not a typo.
 * Read leniently first, so the unknown option is named however the line goes on.
 */
function rejectUnknownOptions(command: CommandDefinition, argv: string[], options: ParseOptions): void {
  const { tokens } = parseArgs({ args: argv, allowPositionals: true, options, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option' || Object.hasOwn(command.options, token.name)) continue;
    const names = Object.keys(command.options);
    // `-j`: relay-audit has no one-letter options (but -h); the one long option it starts is likely.
    const meant =
      token.rawName.startsWith('--') || token.name.length > 1
        ? closestWord(token.name, names)
        : onlyOne(names.filter((name) => name.startsWith(token.name)));
    throw new ArgumentError(
      `unknown option ${token.rawName}${meant === undefined ? '' : `; did you mean --${meant}?`} ` +
        `(relay-audit help ${command.name} lists its options)`,
    );
  }
}

function onlyOne(names: readonly string[]): string | undefined {
  return names.length === 1 ? names[0] : undefined;
}

/**
 * Arguments: none for a command that takes none, and never an empty one (`analyze ''`, `analyze
 * "$LOGS"` with LOGS unset), which would otherwise read as a file named nothing.
 */
function rejectPositionals(command: CommandDefinition, positionals: readonly string[]): void {
  if (command.positionals === undefined) {
    const [stray] = positionals;
    if (stray === undefined) return;
    const { strayArgumentOption: likely } = command;
    const option = typeof likely === 'function' ? likely(stray) : likely;
    throw new ArgumentError(
      `unexpected argument ${JSON.stringify(stray)}: ${command.name} takes only options` +
        (option === undefined ? '' : `; did you mean --${option} ${stray}?`),
    );
  }
  const empty = positionals.findIndex((positional) => positional.trim() === '');
  if (empty >= 0) {
    throw new ArgumentError(
      `argument ${empty + 1} is empty (${JSON.stringify(positionals[empty])}): expected ${command.positionals} ` +
        '(an unset shell variable?)',
    );
  }
}

/**
 * No option means anything when empty: `--db ""` (often an unset shell variable) would put the
 * store in the working directory, `--accepted-domains ""` fall back to inferring the domains,
 * `--table ""` name no table. Rejected here once for every option of every command, as a usage error.
 */
function rejectEmptyValues(command: CommandDefinition, values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) {
    const given = Array.isArray(value) ? value : [value];
    if (!given.some((item) => typeof item === 'string' && item.trim() === '')) continue;
    const option = command.options[name];
    const expected = option?.value === undefined ? 'a value' : option.value;
    throw new ArgumentError(`--${name}: expected ${expected}, got an empty value`);
  }
}

/** What `parseArgs` reports of one option occurrence (`tokens: true`). */
interface OptionToken {
  readonly kind: string;
  readonly name?: string;
  readonly value?: string | undefined;
}

/**
 * `parseArgs` keeps only the last value of an option given twice, so `--scenario ndr --scenario
 * forwarding` would quietly list forwarding findings alone and `--limit 3 --limit 5` five. A value
 * option not defined `multiple` (repeatable, as its help says) is therefore refused when repeated,
 * naming it and the values given, as the API refuses a repeated query parameter. A repeated
 * switch (`--json --json`) says the same thing twice and is left alone.
 */
function rejectRepeatedOptions(command: CommandDefinition, tokens: readonly OptionToken[]): void {
  const given = new Map<string, string[]>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const option = command.options[token.name];
    if (option === undefined || option.type !== 'string' || option.multiple) continue;
    const values = given.get(token.name) ?? [];
    values.push(token.value ?? '');
    given.set(token.name, values);
  }
  for (const [name, values] of given) {
    if (values.length < 2) continue;
    const shown = values.map((value) => JSON.stringify(value)).join(', ');
    throw new ArgumentError(
      `--${name}: given ${values.length} times (${shown}); it takes one value, give it once`,
    );
  }
}
