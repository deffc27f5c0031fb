/**
 * Numbers in API queries are decimal digits: `POST /uploads?size=` and the list routes' `limit`
 * share one parser, so `0x10`, `1e3`, `1.0` or ` 12` are refused naming the parameter, as `abc` is,
 * never read as the number JavaScript would make of them.
 */
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../functions/api/errors.js';
import { FindingsParams, parseParams, SourcesParams, UploadParams } from '../../functions/api/params.js';

function refusal(schema: Parameters<typeof parseParams>[0], query: Record<string, string>): string {
  try {
    parseParams(schema, query);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidParameterError);
    return (error as InvalidParameterError).message;
  }
  throw new Error(`accepted ${JSON.stringify(query)}`);
}

describe('size of POST /uploads', () => {
  it.each(['0x10', '1e3', '1.0', '1.5', ' 12', '12 ', '+12', '-1', 'Infinity', 'NaN', '١٢', 'abc', '1_000'])(
    'refuses size=%j naming size and echoing it',
    (size) => {
      expect(refusal(UploadParams, { name: 'a.log', size })).toBe(
        `size: must be the size in bytes, in decimal digits (got "${size}")`,
      );
    },
  );

  it('refuses a missing size, and an empty file', () => {
    expect(refusal(UploadParams, { name: 'a.log' })).toBe(
      'size: must be the size in bytes, in decimal digits',
    );
    expect(refusal(UploadParams, { name: 'a.log', size: '0' })).toMatch(/^size: must be at least 1 byte/);
  });

  it('takes digits, leading zeros too, and leaves the largest upload to the route (413)', () => {
    expect(parseParams(UploadParams, { name: 'a.log', size: '1000' })).toEqual({ name: 'a.log', size: 1000 });
    expect(parseParams(UploadParams, { name: 'a.log', size: '010' }).size).toBe(10);
    expect(parseParams(UploadParams, { name: 'a.log', size: '999999999999999' }).size).toBe(
      999_999_999_999_999,
    );
    // Past what a double holds exactly: no longer a size to read.
    expect(refusal(UploadParams, { name: 'a.log', size: '9999999999999999' })).toMatch(/^size: /);
  });
});

describe('limit of the list routes', () => {
  it.each(['1e2', '0x10', '1.0', ' 5', '+5'])('refuses limit=%j as it refuses abc', (limit) => {
    expect(refusal(FindingsParams, { limit })).toBe(
      `limit: must be a whole number from 1 to 500 (got "${limit}")`,
    );
    expect(refusal(SourcesParams, { limit })).toMatch(/^limit: must be a whole number from 1 to 500/);
  });

  it('takes 1 to 500 in digits, 50 by default', () => {
    expect(parseParams(FindingsParams, { limit: '500' }).limit).toBe(500);
    expect(parseParams(FindingsParams, {}).limit).toBe(50);
  });
});
