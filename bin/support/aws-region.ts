/**
 * The AWS region a command's client will use, checked before its first request: without one the SDK
 * says only "Region is missing", so the message says where a region comes from. One check for
 * `--stack` (finding the stack) and `--table` (the table).
 */
import { ConfigError } from '../../functions/core/kernel/errors.js';

/** Throws a `ConfigError` naming `what` (`--stack RelayAudit: no AWS region to find the stack in`) when `client` has no region. */
export async function requireRegion(
  client: { config: { region: () => Promise<string> } },
  what: string,
): Promise<void> {
  if ((await client.config.region().catch(() => undefined)) !== undefined) return;
  throw new ConfigError(
    `${what}; pass --region (e.g. --region eu-west-1) or set AWS_REGION (or a region in your AWS profile)`,
  );
}
