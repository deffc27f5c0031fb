/**
 * The analyze report's lists and lines say what they leave out: a ranked list cut at 10 counts the
 * rest, skipped rows none of which is listed are not "more", and failed messages a trace gives no
 * reason for are never under a "no relay refusals" headline or file line, the file named by its kind.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';

/** `analyze … --no-store`: the findings go to stdout, the report to stderr. */
async function report(...files: string[]): Promise<string> {
  const { status, out } = await cli('analyze', ...files, '--no-store');
  expect(status).toBe(0);
  return out.stderr;
}

describe('the analyze report', () => {
  it('counts the sender domains past the top 10, and does not call unlisted skipped rows "more"', async () => {
    const text = await report('sample-logs');
    // 62 findings, 11 sender domains: the 10 listed sum to 61.
    expect(text).toMatch(/Top sender domains\n(?: {2}.*\n){10} {10}and 1 more \(1 finding\)\n/);
    expect(text).toMatch(/postfix-mail\.log — [^\n]*\n {6}3 skipped rows \(OTHER_PROGRAM 3\)\n/);
    expect(text).toMatch(/sendmail-maillog\.log — [^\n]*\n {6}1 skipped row \(OTHER_PROGRAM 1\)\n/);
    expect(text).not.toContain('more skipped rows');
    // The historical search summary's failed messages: on its line, and named by its kind.
    expect(text).toContain(
      'historical-search-summary.csv — historical search summary: 12 rows, 12 analysed, 0 skipped; ' +
        'no relay refusal proven; 2 failed messages give no reason\n',
    );
    expect(text).toContain(
      '  And 2 messages failed in the historical search summary without a reason in these files',
    );
    expect(text).not.toContain('failed in the message trace');
  });

  it('says no refusal was proven, not that none was found, of a trace whose failures give no reason', async () => {
    const text = await report('sample-logs/message-trace.csv');
    expect(text).not.toMatch(/no relay refusals/i);
    expect(text).toContain(
      'message-trace.csv — message trace: 16 rows, 16 analysed, 0 skipped; no relay refusal proven; ' +
        '3 failed messages give no reason\n',
    );
    expect(text).toContain(
      'No relay refusal (5.7.64 TenantAttribution / 4.4.62 ATTR35) was proven: 3 failed messages give no ' +
        'reason, so they may be refusals (see the next step).',
    );
    expect(text).toContain('Next step: 3 messages failed in the message trace, which does not say why');
  });
});
