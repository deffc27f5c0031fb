/**
 * What relay-audit tells a user of the messages a message trace says failed without a reason
 * (`unexplainedFailures`, see trace-failures.ts): the one wording of the CLI report and the
 * dashboard. Imports nothing of Node: the dashboard bundles it.
 */
import { plural } from '../kernel/counts-in-words.js';
import { formatLabel } from './formats/labels.js';

/** The export whose rows say why each failed message failed (Exchange Online PowerShell), in two lines. */
export const TRACE_DETAIL_EXPORT: readonly [string, string] = [
  'Get-MessageTraceV2 -Status Failed -StartDate … -EndDate … |',
  'Get-MessageTraceDetailV2 | Export-Csv -NoTypeInformation -Encoding UTF8 trace-detail.csv',
];

/**
 * The files the failures are in, named by their kind (format ids, as a source record has them):
 * `the historical search summary`, `the message trace and the JSON message trace`. A record
 * without a format (an older store's) is called a message trace, the kind that has such failures.
 */
export function failedFilesPhrase(formats: readonly (string | undefined)[]): string {
  const kinds = [
    ...new Set(
      formats.map((format) => `the ${format === undefined ? 'message trace' : formatLabel(format, 'short')}`),
    ),
  ];
  if (kinds.length === 0) return 'the message trace';
  return kinds.length === 1 ? (kinds[0] as string) : `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)}`;
}

/**
 * `3 messages failed in the historical search summary, which does not say why: they may be relay
 * refusals.` — `formats` are those of the files the failures are in (see {@link failedFilesPhrase}).
 */
export function unexplainedFailuresSentence(count: number, formats: readonly (string | undefined)[]): string {
  const maybe = count === 1 ? 'it may be a relay refusal' : 'they may be relay refusals';
  return `${plural(count, 'message')} failed in ${failedFilesPhrase(formats)}, which does not say why: ${maybe}.`;
}
