/**
 * The classifier's version, in one place. Every finding and every source record carries it, so a
 * re-analysis (`relay-audit reanalyze`, the re-analysis state machine) knows which uploads an
 * older classifier read, replaces what that version wrote and removes what it no longer finds.
 *
 * Raise it with every change that can change a finding: a scenario rule or its precedence, the
 * evidence the classifier reads, a remediation text, the window. A change that cannot (speed,
 * logging) keeps it, so a re-analysis of everything does not pay for work that changes nothing.
 */
export const CLASSIFIER_VERSION = '2026.12.20';

/** The version a re-analysis replaces on findings and records stored before versions were recorded. */
export const UNVERSIONED = 'unversioned';
