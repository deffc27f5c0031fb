/**
 * Text from log data or configuration on its way into a report or an alert, made inert: one line,
 * no control or bidirectional-override characters (which reorder what a reader sees), bounded.
 * Markdown adds its own escaping on top (markdown.ts); the plain-text alert uses this alone.
 */

import { cutWhole } from '../core/kernel/bounded-text.js';
import { INVISIBLE_OR_CONTROL_CLASS } from '../core/kernel/strings.js';

/** Runs of control characters, and of the Unicode marks that reorder or hide text (Trojan Source). */
const INVISIBLE_OR_CONTROL = new RegExp(`[${INVISIBLE_OR_CONTROL_CLASS}]+`, 'gu');

/** `value` on one line, without control or bidi characters, cut to `max` characters. */
export function singleLine(value: string, max = 300): string {
  const line = value.replace(INVISIBLE_OR_CONTROL, ' ').replace(/ {2,}/g, ' ').trim();
  return line.length <= max ? line : `${cutWhole(line, max - 1)}…`;
}
