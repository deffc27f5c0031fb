/**
 * An application relaying anonymously through EX01 to an internal and an outside recipient under one
 * Message-ID, the outside recipient's copy passed on to the next server (a Mailbox server, an Edge
 * Transport server), which is refused by Exchange Online: `foreign-sender-domain`, high, whatever the
 * order the rows are read in. Read newest first, or the next server's log first, its receipt of the
 * copy from EX01 (a receipt from one of the organisation's servers, or from a private address) came
 * before the application's own receipt for the outside recipient and took its place, and the refusal
 * was called forwarding "received for lee@contoso.com".
 * Fixtures: test/fixtures/real-world/app-relay-newest-first/ (README.md).
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeNoStore } from '../support/analyze-no-store.js';
import { cli } from '../support/capture-output.js';

const DIR = 'test/fixtures/real-world/app-relay-newest-first';
const DOMAINS = ['--accepted-domains', 'contoso.com'];

/** What a finding says, but where its row is. */
const said = (finding: Finding) => ({
  recipient: finding.recipient,
  scenario: finding.scenario,
  confidence: finding.confidence,
  forwardedFrom: finding.forwardedFrom,
  evidence: finding.evidence.map((item) => item.kind),
});

const EXPECTED = {
  recipient: 'ap@litware.com',
  scenario: 'foreign-sender-domain',
  confidence: 'high',
  forwardedFrom: undefined,
  evidence: ['return-path', 'not-accepted'],
};

/** The findings of `relay-audit analyze <paths…> --no-store --json` with the accepted domains. */
async function findingsOf(...paths: string[]): Promise<Finding[]> {
  const { status, out } = await cli('analyze', ...paths, ...DOMAINS, '--no-store', '--json');
  expect(status, out.stderr).toBe(0);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Finding);
}

describe('an application’s relayed mail handed on between the organisation’s servers', () => {
  it('is foreign-sender-domain in an export oldest first and newest first', async () => {
    for (const [file, line] of [
      ['export-oldest-first.csv', 6],
      ['export-newest-first.csv', 2],
    ] as const) {
      const run = await analyzeNoStore(`${DIR}/${file}`, ...DOMAINS);
      expect(run.status).toBe(0);
      expect(
        run.findings.map((finding) => [finding.source.line, said(finding)]),
        file,
      ).toEqual([[line, { ...EXPECTED, evidence: [...EXPECTED.evidence, 'time-zone-assumed'] }]]);
    }
  });

  it.each(['public', 'private'])(
    'is foreign-sender-domain from one log per server, in either order (%s range)',
    async (range) => {
      const edge = `${DIR}/${range}/edge01/MSGTRK2026112814-1.LOG`;
      const ex01 = `${DIR}/${range}/ex01/MSGTRK2026112814-1.LOG`;
      for (const paths of [[`${DIR}/${range}`], [edge, ex01], [ex01, edge]]) {
        const findings = await findingsOf(...paths);
        expect(
          findings.map((finding) => [finding.source.file, finding.source.line, said(finding)]),
          paths.join(' '),
        ).toEqual([[expect.stringContaining(`${range}/edge01/`), 7, EXPECTED]]);
      }
    },
  );
});
