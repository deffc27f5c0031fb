/**
 * The scenario rule contract. Each scenario is a pure rule over one rejected event and what the
 * classifier knows around it; the human text lives in the remediation pack, not here.
 */
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import type { InboundTrace } from '../evidence/inbound-trace.js';
import { replyTextSeen } from '../evidence/rejections.js';
import type { TraceEvent } from '../model/events.js';

export type { InboundTrace };

import type { Confidence, Evidence, Rejection, ScenarioId } from '../model/findings.js';

export interface RuleInput {
  /** The rejected event (enriched from correlated rows when the row itself lacked addresses). */
  event: TraceEvent;
  rejection: Rejection;
  /** The address attribution is judged by: P1 when the format has it, else the header sender. */
  attributedSender: string | undefined;
  /** Which of the two `attributedSender` is. */
  senderBasis: 'return-path' | 'header-sender' | 'none';
  senderDomain: string | undefined;
  recipientDomain: string | undefined;
  domains: DomainOracle;
  /** Correlated inbound traces for the same message (may be empty). */
  inbound: readonly InboundTrace[];
  /** The refusal's own file: a trace from another file names its file (see `InboundTrace.file`). */
  file?: string;
}

export type RuleResult =
  | { outcome: 'match'; evidence: Evidence[]; confidence: Confidence }
  | { outcome: 'no-match' }
  | { outcome: 'not-applicable'; reason: string };

export interface ScenarioRule {
  readonly id: ScenarioId;
  evaluate(input: RuleInput): RuleResult;
}

export const NO_MATCH: RuleResult = { outcome: 'no-match' };

/** Evidence line for the attributed sender, shared by several rules. */
export function senderEvidence(input: RuleInput): Evidence {
  if (input.senderBasis === 'return-path') {
    return { kind: 'return-path', detail: `envelope sender (P1) is ${input.attributedSender || '<>'}` };
  }
  if (input.senderBasis === 'header-sender') {
    return {
      kind: 'header-sender',
      detail: `the input has no envelope sender (P1); judged by the header sender ${input.attributedSender}`,
    };
  }
  return { kind: 'no-sender', detail: 'the input names no sender for this message' };
}

/**
 * A 5.7.64 without ATTR36 from a sender whose domain we could judge: Exchange Online matched the
 * connection to none of the organisation's connectors. Said the same way whether the domain was
 * accepted (`connector-mismatch`) or not (`foreign-sender-domain` and `forwarding`, where the
 * connector must match too: remediation/no-connector.ts).
 */
export const NO_ATTR36_EVIDENCE: Readonly<Evidence> = {
  kind: 'no-attr36',
  detail: 'no ATTR36: the connection matched no connector (certificate or IP)',
};

/**
 * The evidence of a 5.7.64 whose log kept only the code (sendmail's `dsn=5.7.64, stat=Service
 * unavailable`): whether the reply had ATTR36 is not known (`replyTextSeen`).
 */
export function replyTextUnknownEvidence(rejection: Pick<Rejection, 'enhancedCode'>): Evidence {
  return {
    kind: 'reply-text-unknown',
    detail:
      `the log gives only the code ${rejection.enhancedCode}, not Exchange Online's reply text: ` +
      'whether it had ATTR36 is not known',
  };
}

/**
 * What a 5.7.64 without ATTR36 says of the connectors: {@link NO_ATTR36_EVIDENCE} when the log holds
 * Exchange Online's reply, else that the reply text is not known.
 */
export function noAttr36Evidence(rejection: Pick<Rejection, 'attr' | 'enhancedCode' | 'text'>): Evidence {
  return replyTextSeen(rejection) ? { ...NO_ATTR36_EVIDENCE } : replyTextUnknownEvidence(rejection);
}

/** Lowers confidence one step (used when judging by the header sender or inferred domains). */
export function lower(confidence: Confidence): Confidence {
  return confidence === 'high' ? 'medium' : 'low';
}
