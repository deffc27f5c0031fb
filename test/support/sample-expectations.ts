/**
 * What the bundled samples (sample-logs/) give when analysed together, as `npm start` does: every
 * expected finding (file, line, recipient, scenario — sample-logs/README.md explains each), and the
 * counts every test that runs the samples asserts, derived from that one list. Adding a sample
 * changes this file, not six tests.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIO_IDS, type ScenarioId } from '../../functions/core/analysis/model/findings.js';

export const SAMPLE_FINDINGS: readonly (readonly [
  file: string,
  line: number,
  recipient: string,
  scenario: ScenarioId,
])[] = [
  ['MSGTRK2026112800-1.LOG', 18, 'supplier@litware.com', 'connector-mismatch'],
  ['MSGTRK2026112800-1.LOG', 23, 'vendor@adatum.com', 'foreign-sender-domain'],
  ['MSGTRK2026112800-1.LOG', 25, 'scanner@alerts.contoso.com', 'ndr'],
  ['MSGTRK2026112800-1.LOG', 31, 'auditor@woodgrovebank.com', 'wrong-region'],
  ['MSGTRK2026112800-2.LOG', 6, 'kate@tailspintoys.com', 'forwarding'],
  ['MSGTRK2026112800-2.LOG', 8, 'john@fabrikam.com', 'ndr'],
  ['MSGTRK2026112800-2.LOG', 10, 'john@fabrikam.com', 'ndr'],
  ['MSGTRK2026112800-2.LOG', 17, 'maria@wingtiptoys.com', 'foreign-sender-domain'],
  ['MSGTRK2026112800-2.LOG', 17, 'paul@wingtiptoys.com', 'foreign-sender-domain'],
  ['MSGTRK2026112800-2.LOG', 19, 'noreply@fabrikam.com', 'ndr'],
  ['MSGTRK2026112800-2.LOG', 26, 'accounts@litware.com', 'connector-mismatch'],
  ['MSGTRK2026112800-2.LOG', 26, 'ap@litware.com', 'connector-mismatch'],
  ['MSGTRK2026112800-2.LOG', 34, 'subscriber@proseware.com', 'foreign-sender-domain'],
  ['MSGTRK2026112800-2.LOG', 36, 'bounce@fabrikam.com', 'ndr'],
  ['MSGTRK2013-EX2013.LOG', 19, 'ben.home@tailspintoys.com', 'forwarding'],
  ['MSGTRK2013-EX2013.LOG', 21, 'sales@adventure-works.com', 'ndr'],
  ['MSGTRK2013-EX2013.LOG', 22, 'auditor@woodgrovebank.com', 'wrong-region'],
  ['MSGTRK2010-EX2010.LOG', 12, 'olivia@adventure-works.com', 'ndr'],
  ['MSGTRK2010-EX2010.LOG', 20, 'it@fourthcoffee.com', 'connector-mismatch'],
  ['tracking-export-en-US.csv', 9, 'ap@litware.com', 'connector-mismatch'],
  ['tracking-export-en-US.csv', 9, 'ar@litware.com', 'connector-mismatch'],
  ['tracking-export-en-US.csv', 11, 'treasury@woodgrovebank.com', 'wrong-region'],
  ['tracking-export-en-US.csv', 15, 'kate@tailspintoys.com', 'forwarding'],
  ['tracking-export-en-US.csv', 17, 'john@fabrikam.com', 'ndr'],
  ['tracking-export-en-US.csv', 19, 'john@fabrikam.com', 'ndr'],
  ['tracking-export-en-US.csv', 23, 'reader@proseware.com', 'foreign-sender-domain'],
  ['tracking-export-nl-NL.csv', 8, 'pieter@fabrikam.com', 'ndr'],
  ['tracking-export-nl-NL.csv', 12, 'jan.devries@adventure-works.com', 'ndr'],
  ['tracking-export-nl-NL.csv', 14, 'klant@wingtiptoys.com', 'foreign-sender-domain'],
  ['tracking-export-nl-NL.csv', 14, 'klant2@wingtiptoys.com', 'foreign-sender-domain'],
  ['tracking-export-nl-NL.csv', 16, 'inkoop@litware.com', 'connector-mismatch'],
  ['tracking-export-de-DE.csv', 9, 'max@adventure-works.com', 'ndr'],
  ['tracking-export-de-DE.csv', 11, 'lieferant@adatum.com', 'foreign-sender-domain'],
  ['tracking-export-de-DE.csv', 16, 'jweber@tailspintoys.com', 'forwarding'],
  ['tracking-export-de-DE.csv', 18, 'controlling@woodgrovebank.com', 'wrong-region'],
  ['message-trace-detail.csv', 3, 'orders@adatum.com', 'foreign-sender-domain'],
  ['historical-search-extended.csv', 6, 'lars@proseware.com', 'ndr'],
  ['historical-search-extended.csv', 7, 'mike@wingtiptoys.com', 'ndr'],
  ['historical-search-extended.csv', 15, 'billing@litware.com', 'connector-mismatch'],
  ['historical-search-extended.csv', 17, 'audit@woodgrovebank.com', 'wrong-region'],
  ['postfix-mail.log', 7, 'noc@adatum.com', 'foreign-sender-domain'],
  ['postfix-mail.log', 12, 'alerts@monitoring.contoso.com', 'ndr'],
  ['postfix-mail.log', 19, 'ap@litware.com', 'connector-mismatch'],
  ['postfix-mail.log', 20, 'ar@litware.com', 'connector-mismatch'],
  ['postfix-mail.log', 27, 'auditor@woodgrovebank.com', 'wrong-region'],
  ['sendmail-maillog.log', 2, 'orders@adventure-works.com', 'connector-mismatch'],
  ['sendmail-maillog.log', 2, 'invoices@adventure-works.com', 'connector-mismatch'],
  ['sendmail-maillog.log', 8, 'buyer@wingtiptoys.com', 'foreign-sender-domain'],
  ['sendmail-maillog.log', 11, 'noreply@fabrikam.com', 'ndr'],
  ['exim-mainlog.log', 3, 'supplier@litware.com', 'connector-mismatch'],
  ['exim-mainlog.log', 9, 'subscriber@wingtiptoys.com', 'foreign-sender-domain'],
  ['exim-mainlog.log', 12, 'news@proseware.com', 'ndr'],
  ['exim-mainlog.log', 15, 'treasury@woodgrovebank.com', 'wrong-region'],
  ['iis-smtp-ex261128.log', 13, 'orders@fourthcoffee.com', 'connector-mismatch'],
  ['iis-smtp-ex261128.log', 20, 'jobs@adventure-works.com', 'ndr'],
  ['graph-trace-details.json', 13, 'oncall@adatum.com', 'foreign-sender-domain'],
  ['trace-details-convertto-json.json', 19, 'billing2@litware.com', 'connector-mismatch'],
  ['trace-details-convertto-json.json', 53, 'lars@proseware.com', 'ndr'],
  ['SEND20261128-1.LOG', 38, 'treasury@woodgrovebank.com', 'wrong-region'],
  ['SEND20261128-1.LOG', 39, 'controller@woodgrovebank.com', 'wrong-region'],
  ['SEND20261128-1.LOG', 71, 'orders@northwindtraders.com', 'ndr'],
  ['SEND20261128-1.LOG', 96, 'ap@litware.com', 'foreign-sender-domain'],
];

/** How many findings the samples give in all. */
export const SAMPLE_FINDING_COUNT = SAMPLE_FINDINGS.length;

/** Findings per scenario. */
export const SAMPLE_FINDINGS_BY_SCENARIO: Readonly<Record<ScenarioId, number>> = Object.fromEntries(
  SCENARIO_IDS.map((id) => [id, SAMPLE_FINDINGS.filter(([, , , scenario]) => scenario === id).length]),
) as Record<ScenarioId, number>;

/** Refusals logged again (same message, recipient and code): counted once (see the README's totals). */
export const SAMPLE_REPEATED_REFUSALS = 4;

const SAMPLE_DIR = fileURLToPath(new URL('../../sample-logs/', import.meta.url));

/** The sample files analysed (every file of sample-logs/ but its README; config/ is not a log). */
export const SAMPLE_FILE_COUNT = readdirSync(SAMPLE_DIR).filter(
  (name) => name !== 'README.md' && statSync(join(SAMPLE_DIR, name)).isFile(),
).length;
