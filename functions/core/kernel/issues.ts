/**
 * zod issues in words, one formatter for every trust boundary: `path: message` per issue, so an
 * error names the field that is wrong (`TABLE_NAME: Too small…`, `detail.date: Invalid string`).
 */
import type { z } from 'zod';

/** One issue as `path: message` (`message` alone at the root). */
export function issueLine(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

/** Every issue of `error`, `; `-separated. */
export function issueText(error: z.ZodError): string {
  return error.issues.map(issueLine).join('; ');
}

/** The first issue's message, for errors that name the field themselves. */
export function firstIssueMessage(error: z.ZodError, fallback = 'invalid value'): string {
  return error.issues[0]?.message ?? fallback;
}
