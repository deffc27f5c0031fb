/** Command-line flags checked once with zod; a bad value is a usage error naming the flag. */
import type { z } from 'zod';
import { ArgumentError } from '../../functions/core/errors.js';

export function parseFlags<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArgumentError(`--${issue?.path.join('.') ?? 'option'}: ${issue?.message ?? 'invalid value'}`);
  }
  return parsed.data;
}
