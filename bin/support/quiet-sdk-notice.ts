/**
 * Keeps the AWS SDK's Node.js-version notice out of the command's output.
 *
 * On Node.js 20 the AWS SDK for JavaScript v3 (`@aws-sdk/core`) emits, when the first client is
 * created (so as soon as a run opens the store), a process warning that Node prints on stderr in
 * front of the report:
 *
 *     (node:1234) Warning: NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
 *     versions published after the first week of January 2027
 *     will require node >=22. You are running node v20.20.2. …
 *
 * relay-audit pins its SDK versions and supports Node.js 20.12 and later, so the notice is about SDK
 * releases the user does not install, and there is nothing for them to do about it in a relay-audit
 * run; printed before the report it reads like a fault. Node 22 and later never see it.
 *
 * The SDK has a switch for exactly this notice, read each time a client is created:
 * `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true`. Setting it silences that one warning and
 * nothing else: Node's own warnings and any other the SDK emits still print as Node prints them.
 * A value the user set themselves is kept.
 */

/** The SDK's own switch for its Node.js-version notice (`@aws-sdk/core`, emitWarningIfUnsupportedVersion). */
export const SDK_NODE_VERSION_NOTICE_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** Turns the AWS SDK's Node.js-version notice off for this process, unless `env` already says. Call before any SDK client is created. */
export function quietSdkNodeVersionNotice(env: NodeJS.ProcessEnv = process.env): void {
  env[SDK_NODE_VERSION_NOTICE_SWITCH] ??= 'true';
}
