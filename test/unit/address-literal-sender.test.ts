/**
 * An envelope sender that is an address literal (test/fixtures/real-world/address-literal-sender):
 * found by a hunt, whose advice said "if your organisation owns the sender domain, add it as an
 * accepted domain", which no tenant can do for `[10.0.2.80]`. The advice now gives the host a mail
 * domain; a sender with a domain keeps the advice it had.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../support/analyze-text.js';

const FIXTURE = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'real-world',
  'address-literal-sender',
  'mail.log',
);
const SAMPLE = join(import.meta.dirname, '..', '..', 'sample-logs', 'postfix-mail.log');

async function foreign(path: string) {
  const { findings } = await analyzeFiles([{ name: 'mail.log', content: await readFile(path) }], {
    year: 2026,
  });
  return findings.filter((finding) => finding.scenario === 'foreign-sender-domain');
}

describe('a sender written as an address literal', () => {
  it('is told to give its host a mail domain, not to accept one', async () => {
    const [finding, ...others] = await foreign(FIXTURE);
    expect(others).toEqual([]);
    expect(finding?.returnPath).toBe('root@[10.0.2.80]');
    expect(finding?.remediation.title).toBe(
      'Give 10.0.2.80 a mail domain, change the sender, or relay by certificate',
    );
    expect(finding?.remediation.steps[0]).toContain('has no domain: an address literal');
    expect(finding?.remediation.steps[0]).toContain('Postfix myorigin = contoso.com');
    expect(finding?.remediation.steps.join(' ')).not.toContain('add it as an accepted domain');
  });

  it('leaves the advice of a sender with a domain as it was', async () => {
    const findings = await foreign(SAMPLE);
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) {
      expect(finding.remediation.title).not.toContain('a mail domain');
      expect(finding.remediation.steps[0]).not.toContain('address literal');
    }
  });
});
