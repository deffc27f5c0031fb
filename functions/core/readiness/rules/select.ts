/** The connector and certificate subsets several rules look at. */

import { type InboundConnector, identifiesBy, isOnPremises } from '../../organisation/connectors.js';
import type { CertificateInFile, RuleInput } from './rule.js';

/** Enabled connectors of type OnPremises: the only ones that attribute relayed mail. */
export function enabledOnPremises(input: RuleInput): InboundConnector[] {
  return input.connectors.filter((connector) => connector.enabled && isOnPremises(connector));
}

/** Enabled OnPremises connectors that identify the server by certificate. */
export function certificateConnectors(input: RuleInput): InboundConnector[] {
  return enabledOnPremises(input).filter((connector) => identifiesBy(connector) === 'certificate');
}

/** Every certificate given, leaf and chain, with its file. */
export function allCertificates(input: RuleInput): CertificateInFile[] {
  return input.certificates.flatMap((file) => [
    { file, certificate: file.leaf, role: 'leaf' as const },
    ...file.chain.map((certificate) => ({ file, certificate, role: 'chain' as const })),
  ]);
}
