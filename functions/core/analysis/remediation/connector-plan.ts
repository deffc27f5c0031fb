/**
 * Which of the organisation's inbound connectors one finding's remediation names, and what to do
 * with it (`ConnectorChoice`): the templates and the evidence of the classifier ask here, so the
 * advice and the evidence name the same connector.
 */
import {
  acceptedNameTest,
  type ConnectorChoice,
  chooseConnector,
} from '../../organisation/connector-choice.js';
import type { ScenarioId } from '../model/findings.js';
import type { RemediationContext } from './context.js';

export type { ConnectorChoice, ConnectorRole } from '../../organisation/connector-choice.js';

/**
 * Scenarios whose messages only the certificate's domain can attribute: a null sender (`ndr`) or
 * a sender domain that is not accepted. The others have an accepted sender (or none is at issue):
 * any connector that matches the server will do.
 */
const BY_CERTIFICATE_DOMAIN: Readonly<Record<ScenarioId, boolean>> = {
  ndr: true,
  forwarding: true,
  'foreign-sender-domain': true,
  'connector-mismatch': false,
  'wrong-region': false,
};

/**
 * The names of the certificate the server presented, when it could attribute mail: a self-signed,
 * internal-CA or expired one, or one without an accepted name, has to be replaced, so connectors
 * are then judged by their own names.
 */
export function presentedNames(ctx: RemediationContext): readonly string[] | undefined {
  const certificate = ctx.session?.certificate;
  if (
    certificate === undefined ||
    certificate.selfSigned ||
    certificate.internalCa ||
    certificate.expiredOn !== undefined
  ) {
    return undefined;
  }
  if (certificate.acceptedNames.length === 0 && ctx.acceptedDomains.length > 0) return undefined;
  return certificate.names;
}

/** The connector the remediation of `scenario` names, or `undefined` when none is known or can serve. */
export function connectorPlan(ctx: RemediationContext, scenario: ScenarioId): ConnectorChoice | undefined {
  const connectors = ctx.inboundConnectors;
  if (connectors === undefined || connectors.length === 0) return undefined;
  return chooseConnector(connectors, {
    presentedNames: presentedNames(ctx),
    isAcceptedName: acceptedNameTest(ctx.acceptedDomains, ctx.matchSubDomains),
    byCertificateDomain: BY_CERTIFICATE_DOMAIN[scenario],
  });
}
