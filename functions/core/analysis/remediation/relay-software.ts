/**
 * Relays that are not Exchange (Postfix, sendmail, Exim, the IIS 6 SMTP service): which one wrote
 * a finding's log, and how that relay presents a TLS client certificate to Exchange Online — the
 * on-premises half of KB 3169958's certificate-based attribution, in each MTA's own settings.
 */
import type { FormatId } from '../model/events.js';

export type RelaySoftware = 'postfix' | 'sendmail' | 'exim' | 'iis-smtp';

const BY_FORMAT: Partial<Record<FormatId, RelaySoftware>> = {
  'postfix-log': 'postfix',
  'sendmail-log': 'sendmail',
  'exim-log': 'exim',
  'iis-smtp-log': 'iis-smtp',
};

/** The relay software whose log a format is, or `undefined` for Exchange and Exchange Online inputs. */
export function relaySoftwareOf(format: FormatId): RelaySoftware | undefined {
  return BY_FORMAT[format];
}

export interface RelayClientCertificate {
  /** The product's name for prose. */
  name: string;
  /** How to make it present the certificate (`undefined`: it cannot; use the IP address). */
  certificateStep: ((certificate: string, endpoint: string) => string) | undefined;
  /** The configuration lines or commands of that step. */
  certificateCommands: (certificate: string, endpoint: string) => string[];
  /** Where the next attempt shows whether the change worked. */
  verify: string;
}

export const RELAY_SOFTWARE: Readonly<Record<RelaySoftware, RelayClientCertificate>> = {
  postfix: {
    name: 'Postfix',
    certificateStep: (certificate, endpoint) =>
      `Make Postfix present the certificate when it relays: set smtp_tls_cert_file to the certificate for ` +
      `${certificate} followed by its intermediate CA certificates (one PEM file) and smtp_tls_key_file to its ` +
      `private key, require TLS with smtp_tls_security_level = encrypt, keep relayhost on [${endpoint}]:25, and ` +
      'run postfix reload.',
    certificateCommands: (certificate, endpoint) => [
      `postconf -e 'smtp_tls_cert_file = /etc/postfix/tls/${certificate}.fullchain.pem' 'smtp_tls_key_file = /etc/postfix/tls/${certificate}.key' 'smtp_tls_security_level = encrypt' 'relayhost = [${endpoint}]:25' && postfix reload`,
    ],
    verify:
      'the next delivery line of such a message in the mail log should say status=sent (250 2.6.0 …) instead of status=bounced with',
  },
  sendmail: {
    name: 'sendmail',
    certificateStep: (certificate, endpoint) =>
      `Make sendmail present the certificate when it relays: in sendmail.mc set confCLIENT_CERT to the ` +
      `certificate for ${certificate} (with its intermediate CA certificates) and confCLIENT_KEY to its key, keep ` +
      `SMART_HOST as [${endpoint}], rebuild sendmail.cf and restart sendmail.`,
    certificateCommands: (certificate, endpoint) => [
      `define(\`confCLIENT_CERT', \`/etc/mail/tls/${certificate}.fullchain.pem')dnl`,
      `define(\`confCLIENT_KEY', \`/etc/mail/tls/${certificate}.key')dnl`,
      `define(\`SMART_HOST', \`[${endpoint}]')dnl`,
    ],
    verify: 'the next to= line of such a message in the mail log should say stat=Sent instead of dsn=',
  },
  exim: {
    name: 'Exim',
    certificateStep: (certificate, endpoint) =>
      `Make Exim present the certificate when it relays: on the smtp transport the smarthost router ` +
      `(${endpoint}) uses, set tls_certificate to the certificate for ${certificate} (with its intermediate CA ` +
      'certificates) and tls_privatekey to its key, and hosts_require_tls = * so it never falls back to plain text.',
    certificateCommands: (certificate) => [
      `tls_certificate = /etc/exim4/tls/${certificate}.fullchain.pem`,
      `tls_privatekey = /etc/exim4/tls/${certificate}.key`,
      'hosts_require_tls = *',
    ],
    verify: 'the next delivery of such a message in main.log should be a => line instead of ** with',
  },
  'iis-smtp': {
    name: 'the IIS SMTP service',
    // The IIS 6 SMTP service has no setting for a client certificate on outbound TLS (inferred).
    certificateStep: undefined,
    certificateCommands: () => [],
    verify: 'the next RCPT TO of such a message in the SMTP log should be answered 250 instead of',
  },
};
