/**
 * Which of two readings of one refusal gives its time: the one read under fewer assumptions (a
 * day/month order nothing settled, a time without a zone taken as UTC: either may be hours or months
 * off), else the earlier (when the refusal was first seen). One rule for one run, which meets the
 * same refusal in two files (classifier/repeats.ts), and for the store, which meets it in two runs
 * (store/finding-merge.ts): a store filled by several runs keeps the time one run over all gives.
 */

/** A reading's time and how many assumptions it was read under. */
export interface TimedReading {
  timestamp: string;
  assumptions: number;
}

/** True when `candidate`'s time wins over `kept`'s (a tie goes to `candidate`, the later reading). */
export function givesTime(candidate: TimedReading, kept: TimedReading): boolean {
  if (candidate.assumptions !== kept.assumptions) return candidate.assumptions < kept.assumptions;
  return Date.parse(candidate.timestamp) <= Date.parse(kept.timestamp);
}
