/**
 * Findings that relied on an inferred domain the run dropped later. Without a list, the
 * organisation's domains are inferred while the run reads, and a domain taken early can be dropped
 * by later rows: its receipts turn out to be mail the server sent on to the internet (read more than
 * a refusal's window later: mail queued for hours amid busy traffic), or Exchange Online refuses to
 * relay to it. A finding classified meanwhile may name the domain in its remediation ("put
 * `*.litware.com` on the certificate") or have been read by it (a sender taken as the
 * organisation's). Findings are written as they go and cannot be taken back, so each file's record
 * says how many, and which domain: a list given with `--accepted-domains` gives no such drift.
 */
import type { DomainOracle } from '../../organisation/accepted-domains.js';
import type { Finding } from '../model/findings.js';

/** A domain the run dropped in the end, and how many of a file's findings relied on it. */
export interface DroppedDomain {
  domain: string;
  findings: number;
}

/** True when `text` names `domain` as a whole name (not `notcontoso.com` for `contoso.com`). */
export function namesDomain(text: string, domain: string): boolean {
  const label = /[a-z0-9-]/i;
  for (let at = text.indexOf(domain); at >= 0; at = text.indexOf(domain, at + 1)) {
    const before = at === 0 ? '' : text.charAt(at - 1);
    const after = text.charAt(at + domain.length);
    // `*.contoso.com` and `@contoso.com` name it; `sub.contoso.com` names a subdomain, which relied on
    // the parent too when the parent was the organisation's.
    if (!label.test(before) && !label.test(after)) return true;
  }
  return false;
}

export class InferredReliance {
  /** sourceId → domain → findings that relied on it while it was taken. */
  private readonly relied = new Map<string, Map<string, number>>();
  /** The list's domains as of a generation (asked once a generation, not once a finding). */
  private listed: { generation: number | undefined; domains: readonly string[] } | undefined;

  public constructor(private readonly domains: DomainOracle) {}

  /** Whether there is anything to track: only an inferred list changes. */
  public get tracking(): boolean {
    return this.domains.generation !== undefined;
  }

  /**
   * Notes which domains of the list as it stands `finding` (of file `sourceId`) relied on: those its
   * remediation names (`remediationNamed`, found once per cached text), its sender's and recipient's
   * when taken, and those its evidence names.
   */
  public record(sourceId: string, finding: Finding, remediationNamed: readonly string[]): void {
    if (!this.tracking) return;
    const relied = new Set(remediationNamed);
    for (const domain of [finding.senderDomain, finding.recipientDomain])
      if (domain !== undefined && this.domains.covers(domain) === true) relied.add(domain);
    if (finding.evidence.length > 0) {
      for (const domain of this.currentDomains())
        if (finding.evidence.some((item) => namesDomain(item.detail, domain))) relied.add(domain);
    }
    if (relied.size === 0) return;
    let counts = this.relied.get(sourceId);
    if (counts === undefined) {
      counts = new Map();
      this.relied.set(sourceId, counts);
    }
    for (const domain of relied) counts.set(domain, (counts.get(domain) ?? 0) + 1);
  }

  private currentDomains(): readonly string[] {
    const { generation } = this.domains;
    let listed = this.listed;
    if (listed === undefined || listed.generation !== generation) {
      listed = { generation, domains: this.domains.domains() };
      this.listed = listed;
    }
    return listed.domains;
  }

  /** Of file `sourceId`, the domains its findings relied on that the run, in the end, did not take. */
  public dropped(sourceId: string): DroppedDomain[] {
    const counts = this.relied.get(sourceId);
    if (counts === undefined) return [];
    return [...counts]
      .filter(([domain]) => this.domains.covers(domain) !== true)
      .map(([domain, findings]) => ({ domain, findings }))
      .sort((a, b) => b.findings - a.findings || a.domain.localeCompare(b.domain));
  }
}
