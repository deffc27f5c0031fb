/**
 * zod issues in words, one formatter for every trust boundary: `field: message`, so an error names
 * the field that is wrong (`TABLE_NAME: Too small…`, `detail.date: Invalid string`). A boundary
 * says how its fields are written ({@link IssuePlace}): `--limit` on the command line,
 * `findings[3].timestamp` for an item of a list, `query` for a query as a whole.
 */
import type { z } from 'zod';

/** How a boundary names where an issue is. */
export interface IssuePlace {
  /** Written before the field's path: `--` for a flag (`--limit`), `findings[3].` for an item. */
  prefix?: string;
  /** What the value is called when the issue is about all of it (`query`, `record`); else no name. */
  whole?: string;
}

/** Where `issue` is: `prefix` and its dotted path (`detail.date`), or `whole` at the root. */
export function issueField(issue: z.core.$ZodIssue | undefined, place: IssuePlace = {}): string {
  const path = issue === undefined ? '' : issue.path.map(String).join('.');
  return path === '' ? (place.whole ?? '') : `${place.prefix ?? ''}${path}`;
}

/** One issue as `field: message` (`message` alone when it has no field). */
export function issueLine(issue: z.core.$ZodIssue, place: IssuePlace = {}): string {
  return fieldLine(issueField(issue, place), issue.message);
}

/** Every issue of `error`, `; `-separated. */
export function issueText(error: z.ZodError, place: IssuePlace = {}): string {
  return error.issues.map((issue) => issueLine(issue, place)).join('; ');
}

/** The first issue of `error`, for errors that name one field apart from what is wrong with it. */
export function firstIssue(
  error: z.ZodError,
  place: IssuePlace = {},
): { field: string; message: string; issue: z.core.$ZodIssue | undefined } {
  const issue = error.issues[0];
  return { field: issueField(issue, place), message: issue?.message ?? 'invalid value', issue };
}

/** The first issue of `error` as `field: message`, for errors that stop at the first problem. */
export function firstIssueLine(error: z.ZodError, place: IssuePlace = {}): string {
  const { field, message } = firstIssue(error, place);
  return fieldLine(field, message);
}

function fieldLine(field: string, message: string): string {
  return field === '' ? message : `${field}: ${message}`;
}
