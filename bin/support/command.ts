/**
 * One definition per command: its synopsis, description and options, from which come the
 * general usage line, `relay-audit help <command>`, the options `node:util` `parseArgs` reads and
 * the zod schema the values are checked with — so the help text cannot disagree with what the
 * command accepts. Definitions are data (no zod here), so `relay-audit help` stays fast.
 */
import { parseArgs } from 'node:util';
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

/**
 * Reads `argv` with `parseArgs` using exactly the definition's options (an unknown option is the
 * usual `ERR_PARSE_ARGS_UNKNOWN_OPTION`, which the CLI reports with the command's help). A
 * single-value option given twice is a usage error (see {@link rejectRepeatedOptions}).
 */
export function readCommandLine<D extends CommandDefinition>(
  command: D,
  argv: string[],
): { values: RawValues<D['options']>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, option] of Object.entries(command.options)) {
    options[name] = option.multiple ? { type: option.type, multiple: true } : { type: option.type };
  }
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    options,
    strict: true,
    tokens: true,
  });
  rejectRepeatedOptions(command, tokens);
  rejectEmptyValues(command, values);
  return { values: values as RawValues<D['options']>, positionals };
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
