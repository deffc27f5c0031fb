/**
 * Scenario precedence — the first rule that matches decides. Explicit and tested:
 * 1. `wrong-region` — decided by the code (4.4.62/ATTR35) whatever the sender;
 * 2. `ndr` — a null P1 can never be attributed, whatever else is true;
 * 3. `connector-mismatch` — the sender domain is accepted, so the connector is what failed;
 * 4. `forwarding` — foreign sender, foreign recipient, and proof the message came in for an internal user;
 * 5. `foreign-sender-domain` — the sender domain is not the organisation's.
 */

import { connectorMismatch } from './connector-mismatch.js';
import { foreignSenderDomain } from './foreign-sender-domain.js';
import { forwarding } from './forwarding.js';
import { ndr } from './ndr.js';
import type { ScenarioRule } from './rule.js';
import { wrongRegion } from './wrong-region.js';

export const PRECEDENCE: readonly ScenarioRule[] = [
  wrongRegion,
  ndr,
  connectorMismatch,
  forwarding,
  foreignSenderDomain,
];

export type { InboundTrace, RuleInput, RuleResult, ScenarioRule } from './rule.js';
