/**
 * The organisation's accepted domains, and the question every scenario rule asks: does this domain
 * belong to the tenant?
 *
 * Input: a comma list (`contoso.com,fabrikam.com`), a `Get-AcceptedDomain | Export-Csv` file, or a
 * file with one domain per line. A subdomain is covered by its parent only when the parent has
 * `MatchSubDomains` *(inferred for relay attribution, docs/domain.md §1 — kept in {@link covers})*.
 */
import { z } from 'zod';
import { ConfigError } from '../kernel/errors.js';
import { firstIssue } from '../kernel/issues.js';
import { detach } from '../kernel/strings.js';
import { guessDelimiter, normaliseHeader, splitRecord } from '../text/csv-records.js';

const DOMAIN_NAME = /^(?=.{1,253}$)(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

export const AcceptedDomain = z.object({
  domain: z.string().trim().toLowerCase().regex(DOMAIN_NAME, 'not a domain name'),
  matchSubDomains: z.boolean().default(false),
  type: z.enum(['Authoritative', 'InternalRelay', 'ExternalRelay', 'Unknown']).default('Unknown'),
});
export type AcceptedDomain = z.infer<typeof AcceptedDomain>;

/** Answers "is this domain the organisation's?": `true`, `false`, or `undefined` when we cannot know. */
export interface DomainOracle {
  covers(domain: string | undefined): boolean | undefined;
  /** Where the answer comes from: a list the user gave, or domains inferred from the traffic. */
  readonly basis: 'given' | 'inferred';
  /** The domains known to be the organisation's (for reports and remediation). */
  domains(): string[];
  /**
   * A number that changes whenever the answers may have (a domain taken or dropped); absent for a
   * list that never changes. What was built from the answers is good while it stays the same.
   */
  readonly generation?: number;
  /** The domains whose subdomains are the organisation's too (MatchSubDomains); none when inferred. */
  domainsWithSubdomains?(): string[];
}

/** A list of accepted domains the organisation gave us. */
export class AcceptedDomainList implements DomainOracle {
  public readonly basis = 'given';
  private readonly exact = new Map<string, AcceptedDomain>();
  private readonly parents: AcceptedDomain[] = [];

  public constructor(public readonly entries: readonly AcceptedDomain[]) {
    for (const entry of entries) {
      // `*.contoso.com` in a list means "contoso.com and its subdomains".
      const wildcard = entry.domain.startsWith('*.');
      const domain = wildcard ? entry.domain.slice(2) : entry.domain;
      const normalised = { ...entry, domain, matchSubDomains: entry.matchSubDomains || wildcard };
      this.exact.set(domain, normalised);
      if (normalised.matchSubDomains) this.parents.push(normalised);
    }
  }

  public covers(domain: string | undefined): boolean | undefined {
    if (!domain) return undefined;
    const lower = domain.toLowerCase();
    if (this.exact.has(lower)) return true;
    return this.parents.some((parent) => lower.endsWith(`.${parent.domain}`));
  }

  public domains(): string[] {
    return [...this.exact.keys()];
  }

  public domainsWithSubdomains(): string[] {
    return this.parents.map((parent) => parent.domain);
  }

  /** The accepted entry that is a parent of `domain` without MatchSubDomains (for explanations). */
  public uncoveredParentOf(domain: string): AcceptedDomain | undefined {
    for (const [name, entry] of this.exact) {
      if (domain.endsWith(`.${name}`) && !entry.matchSubDomains) return entry;
    }
    return undefined;
  }
}

/** What an accepted-domains file should hold, for the error an undecodable one gets. */
export const ACCEPTED_DOMAINS_EXPECTED = 'a Get-AcceptedDomain | Export-Csv file or one domain per line';

const TRUE_VALUES = new Set(['true', '1', 'yes', '$true']);

/**
 * For an internationalised name (`müller-gmbh.de`), the ASCII form relay-audit compares domains in
 * (`xn--mller-gmbh-9db.de`), as the logs write them: the hint a problem ends with.
 */
function asciiHint(name: string): string {
  if (!/[\u0080-\uffff]/.test(name)) return '';
  // The WHATWG URL parser writes a host in its ASCII form (IDNA), in Node and in the browser alike.
  let ascii: string;
  try {
    ascii = new URL(`http://${name.trim().toLowerCase()}/`).hostname;
  } catch {
    return '';
  }
  return ascii.startsWith('xn--') || ascii.includes('.xn--')
    ? ` (write an internationalised domain in its ASCII form: ${ascii})`
    : '';
}

/**
 * Parses the `--accepted-domains` value: the text of a file (CSV export or one per line) or an
 * inline comma list. `origin` names the file or says "command line" for error messages.
 */
export function parseAcceptedDomains(text: string, origin: string): AcceptedDomainList {
  const lines = text
    .replace(/^\uFEFF/, '')
    // CRLF, LF or CR alone (an export saved by Excel for Mac as "CSV (Macintosh)").
    .split(/\r\n?|\n/)
    .filter((line) => line.trim().length > 0 && !line.startsWith('#'));
  const first = lines[0];
  if (first === undefined) throw new ConfigError(`${origin}: no accepted domains found.`);
  const delimiter = guessDelimiter(first);
  const header = (splitRecord(first, delimiter) ?? []).map(normaliseHeader);
  const entries: AcceptedDomain[] = [];
  const problems: string[] = [];
  if (header.includes('domainname')) {
    // Get-AcceptedDomain | Export-Csv
    const column = (name: string) => header.indexOf(name);
    lines.slice(1).forEach((line, index) => {
      const fields = splitRecord(line, delimiter) ?? [];
      const value = (name: string) => (column(name) >= 0 ? fields[column(name)]?.trim() : undefined);
      const type = value('domaintype');
      const parsed = AcceptedDomain.safeParse({
        domain: value('domainname') ?? '',
        matchSubDomains: TRUE_VALUES.has((value('matchsubdomains') ?? '').toLowerCase()),
        type: type && ['Authoritative', 'InternalRelay', 'ExternalRelay'].includes(type) ? type : 'Unknown',
      });
      if (parsed.success) entries.push(parsed.data);
      else {
        const name = value('domainname') ?? '';
        problems.push(`line ${index + 2}: "${name}" ${firstIssue(parsed.error).message}${asciiHint(name)}`);
      }
    });
  } else {
    // A comma list or one domain per line.
    lines
      .flatMap((line) => line.split(/[,;\s]+/))
      .filter((value) => value.length > 0)
      .forEach((value) => {
        const parsed = AcceptedDomain.safeParse({ domain: value });
        if (parsed.success) entries.push(parsed.data);
        else problems.push(`"${value}" is not a domain name${asciiHint(value)}`);
      });
  }
  if (problems.length > 0) {
    throw new ConfigError(`${origin}: invalid accepted domains: ${problems.slice(0, 5).join('; ')}`);
  }
  if (entries.length === 0) throw new ConfigError(`${origin}: no accepted domains found.`);
  return new AcceptedDomainList(entries);
}

/** How often the traffic showed a domain as the organisation's, by kind of evidence. */
export interface InferredDomainEvidence {
  domain: string;
  /** Deliveries to a mailbox (`DELIVER`). */
  delivered: number;
  /** Submissions from a mailbox (`SUBMIT` or, since Exchange 2013, `RECEIVE` by `STOREDRIVER`). */
  submitted: number;
  /**
   * Receipts of mail from outside (`RECEIVE` over SMTP, directionality Incoming), for a recipient:
   * one a message and recipient, and none for a recipient the message's routing made.
   */
  receivedFromOutside: number;
}

/**
 * Without a list, the organisation's domains are inferred from the traffic itself: recipients of
 * mail delivered to a mailbox (`DELIVER`), senders of mail submitted from a mailbox (`SUBMIT` by
 * `STOREDRIVER`, or `RECEIVE` by `STOREDRIVER` in the main log of Exchange 2013 and later, whose
 * deliveries and submissions are in the separate MSGTRKMD/MSGTRKMS files) and recipients of mail
 * received from outside (`RECEIVE` over SMTP, directionality Incoming) *(inferred rule; reported to
 * the user with its evidence)*. Conservative: receipts from outside alone count only from
 * {@link MIN_RECEIPTS_FROM_OUTSIDE} of them (one could be a misrouted message). Exchange marks the
 * message's direction, not the hop's: the next server's receipt of a copy a group expanded or a
 * mailbox redirected to an outside address is Incoming too, so a receipt for an address the
 * message's own routing made does not count (it is taken back when the routing row is read after
 * it), and a message counts once for a recipient however many servers received it or rows repeat
 * it. Nor do receipts alone make a domain the organisation's once Exchange Online refused to relay
 * to a recipient in it (`5.7.64 … Relay Access Denied`): mail for an accepted domain of the tenant
 * is the tenant's own inbound mail, never relayed, so that domain is not one. This is what tells a
 * relaying server's receipts of copies an earlier server expanded (its log alone, without the
 * expansion) from arrivals. Domains not seen this way are "unknown", not "foreign": rules then rely
 * on the rejection text.
 */
export class InferredDomains implements DomainOracle {
  public readonly basis = 'inferred';
  private readonly seen = new Map<string, Omit<InferredDomainEvidence, 'domain'>>();
  /** Domains of recipients Exchange Online refused to relay to (see the class comment). */
  private readonly relayedTo = new Set<string>();
  /** Bounded: a mail server has few domains; anything past this is noise. */
  private static readonly MAX_DOMAINS = 1000;
  /** Receipts from outside that make a domain the organisation's when nothing else shows it. */
  public static readonly MIN_RECEIPTS_FROM_OUTSIDE = 2;
  private changes = 0;

  /** Counts the times a domain was taken or dropped (see {@link DomainOracle.generation}). */
  public get generation(): number {
    return this.changes;
  }

  public observeDelivered(domain: string | undefined): void {
    this.bump(domain, 'delivered');
  }

  public observeSubmitted(domain: string | undefined): void {
    this.bump(domain, 'submitted');
  }

  public observeReceivedFromOutside(domain: string | undefined): void {
    this.bump(domain, 'receivedFromOutside');
  }

  /** A recipient in `domain` that Exchange Online refused to relay to (`5.7.64`): see the class comment. */
  public observeRelayRefusedTo(domain: string | undefined): void {
    if (!domain || this.relayedTo.size >= InferredDomains.MAX_DOMAINS || this.relayedTo.has(domain)) return;
    const was = this.covers(domain);
    this.relayedTo.add(detach(domain));
    if (this.covers(domain) !== was) this.changes++;
  }

  /**
   * Takes back a receipt counted by {@link observeReceivedFromOutside}: its recipient turned out to
   * be one the message's own routing made, so the receipt was a later hop inside the organisation
   * (the caller knows by the message: classifier/evidence-index.ts).
   */
  public withdrawReceivedFromOutside(domain: string | undefined): void {
    const counts = domain === undefined ? undefined : this.seen.get(domain);
    if (domain === undefined || counts === undefined || counts.receivedFromOutside === 0) return;
    const was = this.convincing(domain, counts);
    counts.receivedFromOutside--;
    if (this.convincing(domain, counts) !== was) this.changes++;
  }

  public covers(domain: string | undefined): boolean | undefined {
    if (!domain) return undefined;
    const counts = this.seen.get(domain);
    return counts !== undefined && this.convincing(domain, counts) ? true : undefined;
  }

  public domains(): string[] {
    return this.evidence().map((item) => item.domain);
  }

  /**
   * Each inferred domain with how often each kind of evidence showed it, the surest first: mailbox
   * deliveries and submissions before receipts alone, then by how many. A remediation that needs one
   * domain of the organisation (an NDR's certificate domain) takes the first.
   */
  public evidence(): InferredDomainEvidence[] {
    const mailbox = (item: InferredDomainEvidence) => item.delivered + item.submitted;
    return [...this.seen]
      .filter(([domain, counts]) => this.convincing(domain, counts))
      .map(([domain, counts]) => ({ domain, ...counts }))
      .sort((a, b) => mailbox(b) - mailbox(a) || b.receivedFromOutside - a.receivedFromOutside);
  }

  /**
   * Domains the receipts from outside alone would have made the organisation's, were they not ones
   * Exchange Online refused to relay to: what the report names as not taken.
   */
  public refusedRelayDespiteReceipts(): InferredDomainEvidence[] {
    return [...this.seen]
      .filter(
        ([domain, counts]) =>
          this.relayedTo.has(domain) &&
          !this.convincing(domain, counts) &&
          counts.receivedFromOutside >= InferredDomains.MIN_RECEIPTS_FROM_OUTSIDE,
      )
      .map(([domain, counts]) => ({ domain, ...counts }));
  }

  private convincing(domain: string, counts: Omit<InferredDomainEvidence, 'domain'>): boolean {
    return (
      counts.delivered + counts.submitted > 0 ||
      (counts.receivedFromOutside >= InferredDomains.MIN_RECEIPTS_FROM_OUTSIDE && !this.relayedTo.has(domain))
    );
  }

  private bump(domain: string | undefined, key: keyof Omit<InferredDomainEvidence, 'domain'>): void {
    if (!domain) return;
    let counts = this.seen.get(domain);
    if (!counts) {
      if (this.seen.size >= InferredDomains.MAX_DOMAINS) return;
      counts = { delivered: 0, submitted: 0, receivedFromOutside: 0 };
      this.seen.set(detach(domain), counts);
    }
    const was = this.convincing(domain, counts);
    counts[key]++;
    if (this.convincing(domain, counts) !== was) this.changes++;
  }
}
