/**
 * Reading a function's environment: validated once per container with the function's zod schema; a
 * problem is an {@link EnvironmentError} naming every variable that is wrong, so a broken deployment
 * says what to fix in its first log line.
 */
import { z } from 'zod';
import { EnvironmentError } from '../core/kernel/errors.js';
import { issueText } from '../core/kernel/issues.js';

/** `schema` applied to `env`; throws {@link EnvironmentError} (`invalid <who> environment: …`). */
export function readEnvironment<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  who: string,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new EnvironmentError(`invalid ${who} environment: ${issueText(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** A yes/no variable: `true` or `1` is yes; unset, empty, `false` or `0` is no. */
export const EnvironmentFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1');
