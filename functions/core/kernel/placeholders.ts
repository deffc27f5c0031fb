/**
 * What remediation and readiness texts show where a real name is unknown. Each contains `<` so
 * that `psArg` quotes it and an admin who pastes the command unchanged gets an error, not a change.
 */

/** Shown where the organisation's domain is unknown; quoted by `psArg` because of the `<`. */
export const PLACEHOLDER_DOMAIN = '<your-accepted-domain>';
/** Shown where the Exchange Online inbound connector is unknown. */
export const PLACEHOLDER_INBOUND_CONNECTOR = '<On-premises inbound connector>';
/** Shown where the on-premises send connector is unknown. */
export const PLACEHOLDER_SEND_CONNECTOR = '<Send connector to Office 365>';
/** Shown where the tenant's MX endpoint cannot be derived. */
export const PLACEHOLDER_TENANT_ENDPOINT = '<tenant>.mail.protection.outlook.com';
