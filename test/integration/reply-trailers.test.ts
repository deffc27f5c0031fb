/**
 * Exchange Online's replies since 2023 end in `[host time session-id]` rather than `[host]`
 * (`… Relay Access Denied [ValidationStatus of '' is EmptyCertificate] [SJ1PEPF000023D2.namprd02.prod.outlook.com
 * 2025-08-10T22:42:38.553Z 08DDD733C30748DC]`). Every reader that carries the answering front end
 * (Postfix, Exim, IIS SMTP, send protocol log, message tracking log) names it from that trailer as it
 * did from `[host]`, and never takes the bracket of words before it for a host.
 * Fixtures: test/fixtures/real-world/reply-trailers/ (README.md).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/reply-trailers';
const EMPTY_CERT_HOST = 'SJ1PEPF000023D2.namprd02.prod.outlook.com';
const ATTR35_HOST = 'DM6NAM11FT074.eop-nam11.prod.protection.outlook.com';
const ATTR36_HOST = 'ME3AUS01FT005.eop-AUS01.prod.protection.outlook.com';

/** The trailer after the host (` time session-id`), in a reply written with spaces or IIS's `+`. */
const TRAILER = /([ +])\d{4}-\d{2}-\d{2}T[\d:.]+Z\1[0-9A-F]{16}\]/g;

/** What a finding says of its refusal: `[recipient, scenario, ATTR, answering host]`. */
const said = (findings: readonly Finding[]) =>
  findings.map((f) => [f.recipient, f.scenario, f.attr, f.remoteHost]);

async function findingsOf(name: string, trailers: 'as written' | 'removed') {
  const written = await readFile(`${DIR}/${name}`, 'utf8');
  const content = trailers === 'as written' ? written : written.replace(TRAILER, ']');
  if (trailers === 'removed') expect(content).not.toBe(written);
  const { findings, sources } = await analyzeFiles([{ name, content }], {
    accepted: 'contoso.com',
    year: 2025,
  });
  expect(sources.map((source) => source.status)).toEqual(['done']);
  return said(findings);
}

/** Each fixture and the findings it gives (README.md). */
const FILES: readonly [string, ReturnType<typeof said>][] = [
  [
    'postfix-mail.log',
    [
      ['listener@gmail.com', 'connector-mismatch', undefined, EMPTY_CERT_HOST],
      ['auditor@woodgrovebank.com', 'wrong-region', 'ATTR35', ATTR35_HOST],
    ],
  ],
  ['exim-mainlog', [['customer@bigpond.com', 'foreign-sender-domain', 'ATTR36', ATTR36_HOST]]],
  ['ex250810.log', [['customer@adatum.com', 'connector-mismatch', undefined, EMPTY_CERT_HOST]]],
  ['SEND2025081022-1.LOG', [['supplier@litware.com', 'connector-mismatch', undefined, EMPTY_CERT_HOST]]],
  [
    'MSGTRK2025081022-1.LOG',
    [
      ['supplier@litware.com', 'connector-mismatch', undefined, EMPTY_CERT_HOST],
      ['auditor@woodgrovebank.com', 'wrong-region', 'ATTR35', ATTR35_HOST],
    ],
  ],
];

describe('the answering host of a reply that ends in [host time session-id]', () => {
  it.each(FILES)('%s: the host is named from the trailer', async (name, expected) => {
    expect(await findingsOf(name, 'as written')).toEqual(expected);
  });

  it.each(FILES.map(([name]) => name))(
    '%s: gives the findings of the same replies written [host] (before 2023)',
    async (name) => {
      expect(await findingsOf(name, 'as written')).toEqual(await findingsOf(name, 'removed'));
    },
  );
});
