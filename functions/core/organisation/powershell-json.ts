/**
 * zod schemas for the quirks of `ConvertTo-Json` output of Exchange cmdlets, shared by the
 * connector parser:
 *
 * - multi-valued properties arrive as `null`, a single value, an array, or (Windows PowerShell 5.1
 *   on a wrapped array) `{ "value": [...], "Count": n }`;
 * - a property nested deeper than `-Depth` (default 2) arrives as its .NET type name
 *   (`System.String[]`, `Microsoft.Exchange.Data.MultiValuedProperty`1[...]`): the data is lost and
 *   must be exported again, so that is an error rather than a value;
 * - enums are names (`"OnPremises"`) from remote sessions and the REST module, numbers (`1`) from
 *   local objects;
 * - booleans are JSON booleans, but `"True"`/`"False"` strings appear after a round trip through CSV.
 */
import { z } from 'zod';

/** A .NET type name standing in for a value that `ConvertTo-Json -Depth` cut off. */
const TYPE_NAME = /^(?:System|Microsoft)\.[\w.`+]+(?:\[[^\]]*\])*(?:\[\])?$/;

/** True when `value` is a .NET type name left by a too-shallow `ConvertTo-Json -Depth`. */
export function isTypeName(value: string): boolean {
  return TYPE_NAME.test(value.trim());
}

const typeNameIssue = (value: string) =>
  `is the .NET type name "${value}", not data: export again with ConvertTo-Json -Depth 5`;

/**
 * `null`, one value, an array, or a `{ value: [...] }` wrapper → an array of non-empty strings.
 * Written as one transform (not a union) so a bad item gets its own message, not "invalid input".
 */
export const PsMultiValue = z
  .unknown()
  .optional()
  .transform((value, ctx): string[] => {
    const unwrapped =
      typeof value === 'object' && value !== null && !Array.isArray(value) && 'value' in value
        ? (value as { value: unknown }).value
        : value;
    if (unwrapped === undefined || unwrapped === null) return [];
    const items = Array.isArray(unwrapped) ? unwrapped : [unwrapped];
    const result: string[] = [];
    for (const [index, item] of items.entries()) {
      if (item === null || item === undefined) continue;
      if (typeof item !== 'string' && typeof item !== 'number') {
        ctx.addIssue({
          code: 'custom',
          message: `item ${index + 1} is ${describeJson(item)}, expected a string`,
        });
        return z.NEVER;
      }
      const text = String(item).trim();
      if (isTypeName(text)) {
        ctx.addIssue({ code: 'custom', message: typeNameIssue(text) });
        return z.NEVER;
      }
      if (text.length > 0) result.push(text);
    }
    return result;
  });

/** Names a JSON value's kind for messages: `an object`, `an array`, `the number 3`. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `the ${typeof value} ${String(value)}`;
}

/** `true`/`false`, `"True"`/`"False"`, or `null`/absent (unknown). */
export const PsBoolean = z
  .union([z.boolean(), z.enum(['True', 'False', 'true', 'false', '$true', '$false']), z.null()])
  .optional()
  .transform((value): boolean | undefined => {
    if (value === null || value === undefined) return undefined;
    if (typeof value === 'boolean') return value;
    return value.replace('$', '').toLowerCase() === 'true';
  });

/**
 * An enum that may be written by name or by number. Names are matched case-insensitively and
 * returned as `names` spells them; unknown names and numbers are kept as text so a report can show
 * them instead of guessing.
 */
export function psEnum<const Name extends string>(numbers: Readonly<Record<number, Name>>) {
  const names = Object.values(numbers) as Name[];
  return z.union([z.string(), z.number().int()]).transform((value): Name | `Unknown (${string})` => {
    if (typeof value === 'number') return numbers[value] ?? `Unknown (${value})`;
    const text = value.trim();
    if (isTypeName(text)) return `Unknown (${text})`;
    return names.find((name) => name.toLowerCase() === text.toLowerCase()) ?? `Unknown (${text})`;
  });
}
