import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HTTP_STATUS, NotFoundError, toApiError } from '../../functions/api/errors.js';
import { DecodeError, ErrorCode, InvalidValueError, StoreError } from '../../functions/core/kernel/errors.js';
import { firstIssue, firstIssueLine, issueText } from '../../functions/core/kernel/issues.js';

describe('toApiError: one table from error code to HTTP status', () => {
  it('keeps an API error as it is', () => {
    const error = new NotFoundError('no finding with id x');
    expect(toApiError(error)).toBe(error);
  });

  it('names the parameter of an invalid value without parsing its message', () => {
    const apiError = toApiError(new InvalidValueError('since', 'not an ISO date'));
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe(ErrorCode.InvalidArgument);
    expect(apiError.message).toBe('since: not an ISO date');
  });

  it('answers a store failure with 503 and a message that reveals nothing', () => {
    const cause = new StoreError('ProvisionedThroughputExceededException on table relay-audit-findings');
    const apiError = toApiError(cause);
    expect(apiError.status).toBe(HTTP_STATUS[ErrorCode.StoreFailure]);
    expect(apiError.message).not.toContain('relay-audit-findings');
    expect(apiError.cause).toBe(cause);
  });

  it('answers an error whose code has no status, or no code at all, with a bare 500', () => {
    for (const error of [new DecodeError('bad byte at line 3'), new TypeError('x is undefined')]) {
      const apiError = toApiError(error);
      expect(apiError.status).toBe(500);
      expect(apiError.code).toBe(ErrorCode.Internal);
      expect(apiError.message).not.toContain('line 3');
      expect(apiError.message).not.toContain('undefined');
    }
  });
});

describe('issueText: zod issues in words', () => {
  it('names each field that is wrong', () => {
    const parsed = z
      .object({ TABLE_NAME: z.string().min(3), PORT: z.coerce.number() })
      .safeParse({ PORT: 'x' });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const text = issueText(parsed.error);
    expect(text).toMatch(/^TABLE_NAME: .+; PORT: .+$/);
  });

  const Flags = z.object({ limit: z.number().int().min(1), entry: z.object({ at: z.iso.datetime() }) });
  const failure = (value: unknown): z.ZodError => {
    const parsed = Flags.safeParse(value);
    if (parsed.success) throw new Error('expected a failure');
    return parsed.error;
  };

  it('writes the fields of each boundary its own way: a prefix before the path, a name for the whole value', () => {
    const error = failure({ limit: 0, entry: { at: '2026-11-28T08:00:00Z' } });
    expect(firstIssueLine(error, { prefix: '--' })).toMatch(/^--limit: .+/);
    expect(firstIssue(error, { prefix: 'findings[3].', whole: 'findings[3]' }).field).toBe(
      'findings[3].limit',
    );
    const nested = failure({ limit: 1, entry: { at: 'yesterday' } });
    expect(firstIssue(nested).field).toBe('entry.at');
  });

  it('names the whole value when the issue is about all of it, and says nothing of a field otherwise', () => {
    const error = failure('not an object');
    expect(firstIssue(error, { whole: 'query' }).field).toBe('query');
    expect(firstIssueLine(error, { whole: 'query' })).toBe(`query: ${error.issues[0]?.message}`);
    expect(firstIssueLine(error)).toBe(error.issues[0]?.message);
  });
});
