/** Command-line flags checked once with zod; a bad value is a usage error naming the flag. */
import { z } from 'zod';
import { closestWord } from '../../functions/core/kernel/closest-word.js';
import { ArgumentError } from '../../functions/core/kernel/errors.js';
import { ISO_TIME_FORMS, type IsoTime, parseIsoTime } from '../../functions/core/kernel/iso-time.js';
import { firstIssue, firstIssueLine } from '../../functions/core/kernel/issues.js';

export function parseFlags<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const { field, issue } = firstIssue(parsed.error, { prefix: '--', whole: 'options' });
    if (issue?.code === 'invalid_value' && issue.path.length === 1) {
      const typed = (values as Record<string, unknown>)[String(issue.path[0])];
      throw new ArgumentError(`${field}: ${choiceMessage(issue.values.map(String), typed)}`);
    }
    throw new ArgumentError(firstIssueLine(parsed.error, { prefix: '--', whole: 'options' }));
  }
  return parsed.data;
}

/**
 * A value that is not one of a flag's choices (`--scenario forwading`, `--format CSV`): the choices,
 * what was typed, and the choice most likely meant.
 */
function choiceMessage(choices: readonly string[], typed: unknown): string {
  const text = typeof typed === 'string' ? typed : String(typed);
  const meant = closestWord(text, choices);
  return (
    `expected one of ${choices.join(' | ')}, got ${JSON.stringify(text)}` +
    (meant === undefined ? '' : `; did you mean ${meant}?`)
  );
}

/**
 * A flag that takes a whole number from `min` to `max` (`--limit`, `--window`, `--look-back`,
 * `--port`). Only digits are accepted — not `1e3`, `2.5`, `0x10` or an empty string, which
 * `Number()` would turn into a number — and the message gives the range and what was typed.
 */
export function wholeNumberFlag(min: number, max?: number): z.ZodType<number, string> {
  const range =
    max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  return z.string().transform((text, context) => {
    const value = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= (max ?? Number.MAX_SAFE_INTEGER))) {
      context.addIssue({ code: 'custom', message: `expected ${range}, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return value;
  });
}

/**
 * A flag that takes a date or time (`check --at`, `findings --since/--until`, `reanalyze
 * --from/--to`): every one reads the same forms, and refuses another with the same message.
 * Whatever its precision, a value covers all of what it names, from `start` to `end`: a date its
 * day, `22:15` its minute, `22:15:03` its second, `22:15:03.5` its tenth — so an `--until` takes
 * in the rest of it, as the findings table prints times to the second.
 */
export function timeFlag(): z.ZodType<IsoTime, string> {
  return z.string().transform((text, context) => {
    const time = parseIsoTime(text);
    if (time === undefined) {
      context.addIssue({
        code: 'custom',
        message: `expected ${ISO_TIME_FORMS}, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return time.start === time.end ? { ...time, end: time.start + namedSpanMs(text) - 1 } : time;
  });
}

/** Milliseconds of the last unit a time names: a minute, a second, or a tenth, hundredth… of one. */
function namedSpanMs(text: string): number {
  // Of a text parseIsoTime read as a time: the clock part after the date.
  const clock = /[T ]\d{2}:\d{2}(?::\d{2}(?:[.,](\d+))?)?/i.exec(text);
  if (clock === null) return 1;
  if (clock[0].length <= 6) return 60_000;
  const digits = clock[1]?.length ?? 0;
  return digits >= 3 ? 1 : 10 ** (3 - digits);
}

/**
 * A flag checked by `schema`, whose error shows what was typed: `expected …, got "nope"` when
 * `expected` is given, else the schema's own message followed by `(got "nope")` — the wording the
 * HTTP API uses for the same values, so one schema gives one message in both places.
 */
export function flagValue<T>(schema: z.ZodType<T>, expected?: string): z.ZodType<T, string> {
  return z.string().transform((text, context) => {
    const parsed = schema.safeParse(text);
    if (parsed.success) return parsed.data;
    const message =
      expected === undefined
        ? `${parsed.error.issues[0]?.message ?? 'invalid value'} (got ${JSON.stringify(text)})`
        : `expected ${expected}, got ${JSON.stringify(text)}`;
    context.addIssue({ code: 'custom', message });
    return z.NEVER;
  });
}
