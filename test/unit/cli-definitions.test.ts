/**
 * The CLI's help comes from the same definitions as the options each command accepts; these
 * checks keep the general usage line, the command's help and `parseArgs` from disagreeing.
 */
import { describe, expect, it } from 'vitest';
import { COMMAND_DEFINITIONS } from '../../bin/commands/definitions.js';
import { readCommandLine, synopsisLine, usageText } from '../../bin/support/command.js';

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
