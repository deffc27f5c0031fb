/**
 * AWS credentials a command's client could not use — none found, expired, not valid, or without
 * the permission asked for. That is a setup problem (exit status 2, like a missing region), not a
 * failed analysis, and the SDK's own words ("Could not load credentials from any providers") do
 * not say what to do: the message says how to sign in, and that the local commands need no AWS.
 */
import { ConfigError } from '../../functions/core/kernel/errors.js';

/** Thrown by the SDK's credential chain when no provider gave credentials (SSO sessions expired too). */
const NOT_LOADED = new Set(['CredentialsProviderError', 'TokenProviderError']);
/** Answered by a service to credentials it does not take. */
const REFUSED = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]);
/** Answered by a service to an identity that may not make the call. */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException']);

const SIGN_IN =
  'sign in first: aws configure (access keys), AWS_PROFILE=<profile> for a named profile, or aws sso login ' +
  '(IAM Identity Center); relay-audit analyze and serve (with --db) work without AWS';

/**
 * A {@link ConfigError} saying what to do when `error` is a credentials problem of the call
 * `what` names (`--stack RelayAudit: …`); `undefined` for any other error. `permission` is the IAM
 * action the call needs, named when the identity was denied it.
 */
export function credentialsError(what: string, error: unknown, permission: string): ConfigError | undefined {
  if (!(error instanceof Error)) return undefined;
  const said = error.message.trim();
  if (NOT_LOADED.has(error.name)) {
    return new ConfigError(`${what}: no AWS credentials (${said}); ${SIGN_IN}`, { cause: error });
  }
  if (REFUSED.has(error.name)) {
    return new ConfigError(`${what}: AWS refused the credentials (${error.name}: ${said}); ${SIGN_IN}`, {
      cause: error,
    });
  }
  if (DENIED.has(error.name)) {
    return new ConfigError(
      `${what}: the AWS identity may not do this (${error.name}: ${said}); it needs ${permission}, ` +
        'or sign in as one that has it (AWS_PROFILE=<profile>)',
      { cause: error },
    );
  }
  return undefined;
}

/**
 * Resolves `client`'s credentials before its first request, so that a command with none fails here
 * with how to sign in (exit status 2) instead of at its first store call, as a failed analysis
 * (exit status 1) with the SDK's words. The chain is memoised: the requests that follow reuse them.
 */
export async function requireCredentials(
  client: { config: { credentials: () => Promise<unknown> } },
  what: string,
  permission: string,
): Promise<void> {
  try {
    await client.config.credentials();
  } catch (error) {
    throw credentialsError(what, error, permission) ?? error;
  }
}

/** The part of an SDK client {@link refusalsAsSetupErrors} needs (any v3 client has it). */
interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: never) => Promise<unknown>) => (args: never) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Makes every call of `client` that the service refuses for its credentials (they loaded, but are
 * expired, not valid, or lack `permission`) fail as {@link credentialsError} says: exit status 2
 * with how to sign in, as when none load at all. Outermost (`initialize`), so the SDK's retries
 * have run; any other error passes unchanged. The store passes relay-audit errors on as they are.
 */
export function refusalsAsSetupErrors(client: MiddlewareClient, what: string, permission: string): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw credentialsError(what, error, permission) ?? error;
      }
    },
    { step: 'initialize', name: 'relayAuditCredentialRefusals' },
  );
}
