/**
 * The remediation pack: per-scenario advice for relay-attribution findings (docs/domain.md §1).
 * Import from here rather than from the scenario modules, which are an internal layout.
 */

export { connectorMismatch } from './connector-mismatch.js';
export { type ConnectorChoice, type ConnectorRole, connectorPlan } from './connector-plan.js';
export type { RemediationContext, RemediationTemplate } from './context.js';
export { foreignSenderDomain } from './foreign-sender-domain.js';
export { forwarding } from './forwarding.js';
export { ndr } from './ndr.js';
export { REMEDIATION_TEMPLATES, remediationFor, SCENARIO_DESCRIPTIONS } from './pack.js';
export { organisationDomain } from './shared.js';
export { wrongRegion } from './wrong-region.js';
