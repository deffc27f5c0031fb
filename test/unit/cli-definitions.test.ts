/**
 * The CLI's help comes from the same definitions as the options each command accepts; these
 * checks keep the general usage line, the command's help and `parseArgs` from disagreeing.
 */
import { describe, expect, it } from 'vitest';
import { CHECK, COMMAND_DEFINITIONS, FINDINGS } from '../../bin/commands/definitions.js';
import { readCommandLine, synopsisLine, usageText } from '../../bin/support/command.js';
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
    expect(() => readCommandLine(command, ['--no-such-option'])).toThrow(
      expect.objectContaining({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }),
    );
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
