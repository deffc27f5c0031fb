import { describe, expect, it } from 'vitest';
import { storeFlagsText } from '../../bin/support/store-options.js';

describe('storeFlagsText', () => {
  it('is empty for the default store', () => {
    expect(storeFlagsText({})).toBe('');
  });

  it('repeats --db, quoting a path a shell would split', () => {
    expect(storeFlagsText({ db: './audit-db' })).toBe(' --db ./audit-db');
    expect(storeFlagsText({ db: '/tmp/my store' })).toBe(" --db '/tmp/my store'");
    expect(storeFlagsText({ db: "/tmp/o'brien" })).toBe(" --db '/tmp/o'\\''brien'");
  });

  it('repeats --table with its endpoint and region, and ignores --db then', () => {
    expect(
      storeFlagsText({
        table: 'relay-audit',
        endpoint: 'http://localhost:8000',
        region: 'eu-west-1',
        db: 'x',
      }),
    ).toBe(' --table relay-audit --endpoint http://localhost:8000 --region eu-west-1');
  });
});
