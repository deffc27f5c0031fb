/**
 * What a run's report lists of its findings beside the scenario counts: the sender domains, and
 * where forwarded mail was passed on outside (the mailboxes and groups to look at first). `analyze`
 * counts its findings as they come, `upload` the stored findings of its uploads, and the end-of-run
 * correlation the findings it turned into forwarding: all through this, so they count alike.
 */
import { detach } from '../kernel/strings.js';
import {
  type Finding,
  type ForwardingOrigin,
  reportedSenderDomain,
  type ScenarioId,
} from './model/findings.js';

export interface SenderDomainCount {
  domain: string;
  count: number;
  scenarios: Partial<Record<ScenarioId, number>>;
}

/** Forwarding findings of one internal address, passed on in one way. */
export interface ForwardingOriginCount extends ForwardingOrigin {
  count: number;
}

/** Distinct domains and origins counted; more are left out of the lists (the report shows ten). */
const MAX_TRACKED = 10_000;

export class FindingTally {
  private readonly domains = new Map<string, SenderDomainCount>();
  private readonly origins = new Map<string, ForwardingOriginCount>();

  /** A tally that goes on from the forwarding origins counted before (a run's result). */
  public static of(forwardedFrom: readonly ForwardingOriginCount[]): FindingTally {
    const tally = new FindingTally();
    for (const { kind, address, count } of forwardedFrom)
      tally.origins.set(`${kind} ${address}`, { kind, address, count });
    return tally;
  }

  public add(finding: Pick<Finding, 'scenario' | 'senderDomain' | 'returnPath' | 'forwardedFrom'>): void {
    const domain = reportedSenderDomain(finding);
    let entry = this.domains.get(domain);
    if (entry === undefined && this.domains.size < MAX_TRACKED) {
      // Detached: a domain sliced from a log chunk must not keep the chunk alive.
      entry = { domain: detach(domain), count: 0, scenarios: {} };
      this.domains.set(entry.domain, entry);
    }
    if (entry !== undefined) {
      entry.count++;
      entry.scenarios[finding.scenario] = (entry.scenarios[finding.scenario] ?? 0) + 1;
    }
    if (finding.forwardedFrom !== undefined) this.addOrigin(finding.forwardedFrom);
  }

  /** Counts a finding's origin alone (a finding counted before it became forwarding). */
  public addOrigin({ kind, address }: ForwardingOrigin): void {
    const key = `${kind} ${address}`;
    const known = this.origins.get(key);
    if (known !== undefined) known.count++;
    else if (this.origins.size < MAX_TRACKED)
      this.origins.set(detach(key), { kind, address: detach(address), count: 1 });
  }

  /** Sender domains, most findings first. */
  public senderDomains(): SenderDomainCount[] {
    return [...this.domains.values()].sort((a, b) => b.count - a.count || a.domain.localeCompare(b.domain));
  }

  /** Where forwarding was passed on outside, most findings first. */
  public forwardedFrom(): ForwardingOriginCount[] {
    return [...this.origins.values()].sort(
      (a, b) => b.count - a.count || a.address.localeCompare(b.address) || a.kind.localeCompare(b.kind),
    );
  }
}
