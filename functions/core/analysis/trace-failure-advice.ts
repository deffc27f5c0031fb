/**
 * What relay-audit tells a user of the messages a message trace says failed without a reason
 * (`unexplainedFailures`, see trace-failures.ts): the one wording of the CLI report and the
 * dashboard. Imports nothing of Node: the dashboard bundles it.
 */
import { plural } from '../kernel/counts-in-words.js';

/** The export whose rows say why each failed message failed (Exchange Online PowerShell), in two lines. */
export const TRACE_DETAIL_EXPORT: readonly [string, string] = [
  'Get-MessageTraceV2 -Status Failed -StartDate … -EndDate … |',
  'Get-MessageTraceDetailV2 | Export-Csv -NoTypeInformation -Encoding UTF8 trace-detail.csv',
];

/** `3 messages failed in the message trace, which does not say why: they may be relay refusals.` */
export function unexplainedFailuresSentence(count: number): string {
  const maybe = count === 1 ? 'it may be a relay refusal' : 'they may be relay refusals';
  return `${plural(count, 'message')} failed in the message trace, which does not say why: ${maybe}.`;
}
