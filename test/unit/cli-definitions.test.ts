/**
 * The CLI's help comes from the same definitions as the options each command accepts; these
 * checks keep the general usage line, the command's help and `parseArgs` from disagreeing.
 */
import { describe, expect, it } from 'vitest';
import { ANALYZE, CHECK, COMMAND_DEFINITIONS, FINDINGS, REANALYZE } from '../../bin/commands/definitions.js';
import {
  type CommandDefinition,
  readCommandLine,
  synopsisLine,
  usageText,
} from '../../bin/support/command.js';
import { ArgumentError } from '../../functions/core/kernel/errors.js';

describe.each(COMMAND_DEFINITIONS.map((command) => [command.name, command] as const))('%s', (_, command) => {
  it('names in its general usage line only options it accepts', () => {
    const named = [...synopsisLine(command).matchAll(/--([a-z-]+)/g)].map((match) => match[1] as string);
    expect(named.length).toBeGreaterThan(0);
    for (const option of named) expect(Object.keys(command.options)).toContain(option);
  });

  it('lists every option it accepts in its help', () => {
    const help = usageText(command);
    for (const name of Object.keys(command.options)) expect(help).toMatch(new RegExp(`^  --${name}\\b`, 'm'));
  });

  it('accepts each of its options and refuses one it does not define', () => {
    for (const [name, option] of Object.entries(command.options)) {
      const argv = option.type === 'string' ? [`--${name}`, 'x'] : [`--${name}`];
      expect(() => readCommandLine(command, argv)).not.toThrow();
    }
    const unknown = () => readCommandLine(command, ['--no-such-option']);
    expect(unknown).toThrow(ArgumentError);
    expect(unknown).toThrow(
      `unknown option --no-such-option (relay-audit help ${command.name} lists its options)`,
    );
  });

  it('takes arguments exactly when its usage shows some, and never an empty one', () => {
    const { positionals } = command as CommandDefinition;
    const takesArguments = positionals !== undefined;
    expect(command.usage.startsWith('<')).toBe(takesArguments);
    const read = () => readCommandLine(command, ['some-argument']);
    if (takesArguments) {
      expect(read().positionals).toEqual(['some-argument']);
      expect(() => readCommandLine(command, ['a.log', ''])).toThrow(
        `argument 2 is empty (""): expected ${positionals}`,
      );
    } else {
      expect(read).toThrow(ArgumentError);
      expect(read).toThrow(`unexpected argument "some-argument": ${command.name} takes only options`);
    }
  });
});

describe('a mistake on the command line', () => {
  it('names the option a misspelt one most likely is, without the whole help', () => {
    expect(() => readCommandLine(ANALYZE, ['logs', '--acepted-domains', 'contoso.com'])).toThrow(
      'unknown option --acepted-domains; did you mean --accepted-domains? (relay-audit help analyze lists its options)',
    );
    expect(() => readCommandLine(ANALYZE, ['logs', '-j'])).toThrow('unknown option -j; did you mean --json?');
    expect(() => readCommandLine(FINDINGS, ['--sender-domian=contoso.com'])).toThrow(
      'did you mean --sender-domain?',
    );
  });

  it('takes a stray argument of reanalyze for the --prefix it lacks, and starts nothing', () => {
    expect(() => readCommandLine(REANALYZE, ['cli/EX01/'])).toThrow(
      'unexpected argument "cli/EX01/": reanalyze takes only options; did you mean --prefix cli/EX01/?',
    );
  });

  it('takes a stray argument of findings for the filter it lacks: a scenario, a domain, or nothing', () => {
    expect(() => readCommandLine(FINDINGS, ['ndr'])).toThrow('did you mean --scenario ndr?');
    expect(() => readCommandLine(FINDINGS, ['contoso.com'])).toThrow(
      'did you mean --sender-domain contoso.com?',
    );
    expect(() => readCommandLine(FINDINGS, ['latest'])).toThrow(
      /^unexpected argument "latest": findings takes only options$/,
    );
  });

  it('still says what a value missing or given to a switch is, as a usage error', () => {
    expect(() => readCommandLine(ANALYZE, ['logs', '--db'])).toThrow(ArgumentError);
    expect(() => readCommandLine(ANALYZE, ['logs', '--json=yes'])).toThrow(ArgumentError);
  });
});

describe.each(COMMAND_DEFINITIONS.map((command) => [command.name, command] as const))(
  '%s, an option given twice',
  (_, command) => {
    const options = Object.entries(command.options);

    it('refuses a single-value option given twice, naming it, whatever the spelling', () => {
      const single = options.filter(([, option]) => option.type === 'string' && !option.multiple);
      expect(single.length).toBeGreaterThan(0);
      for (const [name] of single) {
        for (const argv of [
          [`--${name}`, 'a', `--${name}`, 'b'],
          [`--${name}=a`, `--${name}`, 'b'],
          [`--${name}`, 'x', `--${name}=x`], // the same value twice too: still one value expected
        ]) {
          const read = () => readCommandLine(command, argv);
          expect(read).toThrow(ArgumentError);
          expect(read).toThrow(`--${name}: given 2 times`);
        }
      }
    });

    it('keeps every value of an option documented as repeatable, and accepts a switch twice', () => {
      for (const [name, option] of options) {
        if (option.type === 'string' && option.multiple) {
          expect(option.help).toMatch(/repeatable/);
          const { values } = readCommandLine(command, [`--${name}`, 'a', `--${name}`, 'b']);
          expect((values as Record<string, unknown>)[name]).toEqual(['a', 'b']);
        }
        if (option.type === 'boolean') {
          expect(() => readCommandLine(command, [`--${name}`, `--${name}`])).not.toThrow();
        }
      }
    });
  },
);

describe('a repeated option', () => {
  it('is refused with the values given, as findings --scenario ndr --scenario forwarding', () => {
    expect(() => readCommandLine(FINDINGS, ['--scenario', 'ndr', '--scenario', 'forwarding'])).toThrow(
      '--scenario: given 2 times ("ndr", "forwarding"); it takes one value, give it once',
    );
    expect(() => readCommandLine(FINDINGS, ['--limit', '3', '--format', 'csv', '--limit', '5'])).toThrow(
      '--limit: given 2 times ("3", "5")',
    );
  });

  it('is not refused when it is the documented repeatable --certificate of check', () => {
    const { values } = readCommandLine(CHECK, [
      '--accepted-domains',
      'contoso.com',
      '--certificate',
      'a.pem',
      '--certificate',
      'b.pem',
    ]);
    expect(values.certificate).toEqual(['a.pem', 'b.pem']);
  });
});
