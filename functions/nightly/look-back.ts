/**
 * The look-back window's bounds, apart from the core so the CLI can print them in its usage text
 * without loading the AWS SDK at start-up.
 */

/** Days before the report day recomputed by default, for uploads that arrive late. */
export const DEFAULT_LOOK_BACK_DAYS = 2;
/** Longest look-back accepted (the inbound index keeps entries 14 days). */
export const MAX_LOOK_BACK_DAYS = 14;
