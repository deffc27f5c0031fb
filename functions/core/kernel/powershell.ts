/**
 * Quoting for values the remediation pack puts into PowerShell commands.
 *
 * Connector names, domains and addresses come from logs and exports, not from us. An admin pastes
 * these commands into an Exchange shell, so a value containing `"`, `$`, a backtick or `;` must stay
 * one literal argument: it must not end the string, expand a variable or start a second command.
 */

/**
 * PowerShell treats the ASCII apostrophe and the typographic single quotes alike as delimiters of
 * a single-quoted string, so all four must be doubled, not only `'`.
 */
const SINGLE_QUOTE_CHARS = /['\u2018\u2019\u201A\u201B]/g;

/**
 * Control characters cannot occur in Exchange object names; a newline would also split a pasted
 * command. They are replaced by U+FFFD so the damage stays visible instead of silently vanishing.
 */
const CONTROL_CHARS = /\p{Cc}/gu;

/**
 * A value PowerShell reads as one plain string argument without quotes: a host or domain name,
 * optionally with a leading `*.` wildcard. It must start with a letter or `*` because a leading
 * digit, `-`, `$`, `@` or `(` means something else in argument mode.
 */
const BAREWORD = /^(?:\*\.)?[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*$/;

/**
 * Quote `value` as a PowerShell single-quoted (verbatim) string literal.
 *
 * Single quotes are used rather than double quotes because nothing inside them is expanded:
 * `$name`, `$(...)` and backtick escapes stay literal text, so the only character to escape is the
 * quote itself (by doubling).
 *
 * @example psQuote(`EX01\Outbound to "O365" $x`) === `'EX01\Outbound to "O365" $x'`
 * @example psQuote("Bob's connector") === `'Bob''s connector'`
 */
export function psQuote(value: string): string {
  const clean = value.replace(CONTROL_CHARS, '\uFFFD');
  return `'${clean.replace(SINGLE_QUOTE_CHARS, (quote) => quote + quote)}'`;
}

/**
 * Render `value` as a PowerShell argument: bare when it is a plain (wildcard) domain or host name,
 * so commands read like Microsoft's documentation (`-TlsSenderCertificateName *.contoso.com`), and
 * quoted with {@link psQuote} otherwise (placeholders such as `<tenant>`, anything unusual).
 */
export function psArg(value: string): string {
  return BAREWORD.test(value) ? value : psQuote(value);
}
