/**
 * What a remediation template may know about one finding.
 *
 * Templates get this instead of the whole `Finding` so that they can run before a finding is
 * complete (the classifier builds the remediation while it builds the finding) and so that the
 * organisation's configuration (accepted domains, inbound connectors) can be supplied apart from
 * the log row.
 */
import type { InboundConnectorInfo } from '../../organisation/connector-info.js';
import type { CertificateFacts } from '../evidence/presented-certificate.js';
import type { Remediation } from '../model/findings.js';
import type { RelaySoftware } from './relay-software.js';

/** Everything a finding knows that remediation text and commands can be filled with. */
export interface RemediationContext {
  /** Domain the classifier attributed the message to (P1 when known, else the header sender). */
  senderDomain?: string;
  /** Domain of the recipient Exchange Online refused. */
  recipientDomain?: string;
  /** Header sender (P2). */
  sender?: string;
  /** Envelope sender (P1); `''` for the null sender. */
  returnPath?: string;
  /** The refused recipient address. */
  recipient?: string;
  /** The organisation's accepted domains; may be empty when none were given or inferred. */
  acceptedDomains: readonly string[];
  /** Where `acceptedDomains` came from: configuration, inference from the logs, or nowhere. */
  acceptedDomainsSource: 'given' | 'inferred' | 'none';
  /**
   * Those of `acceptedDomains` with MatchSubDomains (of a given list): a name below one of them is
   * accepted too, so a connector expecting `mail.fabrikam-group.com` fits as `check` says it does.
   * Absent when there are none.
   */
  matchSubDomains?: readonly string[];
  /** The on-premises server that sent the message, e.g. `EX01.contoso.com`. */
  serverHostname?: string;
  /** The on-premises send connector, e.g. `EX01\Outbound to Office 365`. */
  connectorId?: string;
  /** The Exchange Online host that answered, e.g. a front end or `contoso-com.mail.protection.outlook.com`. */
  remoteHost?: string;
  /** Attribution marker such as `ATTR36`. */
  attr?: string;
  /**
   * `false` when the log kept no reply text of Exchange Online's, only the code (sendmail's
   * `dsn=5.7.64, stat=Service unavailable`): then a missing `attr` does not mean the reply had no
   * ATTR36, and the advice must not say it had none. Absent when the reply text is in the log.
   */
  replyTextSeen?: false;
  /** Enhanced status code, e.g. `5.7.64`. */
  code: string;
  /**
   * The organisation's OnPremises inbound connectors in Exchange Online, enabled or not, when they
   * are known: each template names the one that matters to the finding (`connectorPlan`).
   */
  inboundConnectors?: readonly InboundConnectorInfo[];
  /** The relay software when the finding comes from a relay that is not Exchange (Postfix, Exim…). */
  relay?: RelaySoftware;
  /**
   * What a send protocol log showed of the session the refusal was answered in: whether it used
   * TLS and the certificate the server presented (absent when no protocol log was given).
   */
  session?: { tls: boolean; certificate?: CertificateFacts };
  /**
   * The server reached Exchange Online over IPv6: no connector can match it by IP address
   * (SenderIPAddresses takes IPv4 addresses only), only by certificate.
   */
  overIpv6?: true;
  /**
   * The envelope sender is an address literal (`root@[10.0.2.80]`: a host without a fully qualified
   * name): its address, for advice that gives the host a mail domain instead of accepting one.
   */
  senderLiteral?: string;
}

/**
 * One scenario's remediation, as a pure function of the finding's context (the cdk-nag pattern: one
 * module per rule, human text kept next to the rule).
 */
export type RemediationTemplate = (ctx: RemediationContext) => Remediation;
