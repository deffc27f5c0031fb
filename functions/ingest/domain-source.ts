/**
 * Where the ingest function learns the organisation's accepted domains, in order of preference:
 * 1. `config/accepted-domains.csv` in the bucket (a `Get-AcceptedDomain | Export-Csv` file, or one
 *    domain per line), so operators change it with an upload, without a deployment;
 * 2. the `ACCEPTED_DOMAINS` environment variable (CDK context `acceptedDomains`);
 * 3. neither: inferred from each upload's own traffic.
 * The answer is cached for five minutes per container, so a batch of uploads costs one GET.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../core/kernel/errors.js';
import {
  ACCEPTED_DOMAINS_EXPECTED,
  type AcceptedDomainList,
  type DomainOracle,
  InferredDomains,
  parseAcceptedDomains,
} from '../core/organisation/accepted-domains.js';
import { configText } from '../core/organisation/config-text.js';
import { ACCEPTED_DOMAINS_KEY } from '../runtime/bucket-layout.js';
/** How long a loaded list (or its absence) is trusted. */
export const DOMAINS_CACHE_MS = 5 * 60_000;
/** A Get-AcceptedDomain export is a few KB; anything this large is not one. */
const MAX_CONFIG_BYTES = 1 << 20;

/** The oracle for one analysis and where its answer came from (for logs). */
export interface ResolvedDomains {
  oracle: DomainOracle;
  origin: string;
}

export interface DomainSourceOptions {
  s3: S3Client;
  bucket: string;
  /** The `ACCEPTED_DOMAINS` comma list, if set. */
  fallbackList?: string;
  cacheMs?: number;
  now?: () => number;
}

interface CacheEntry {
  /** `undefined`: no list anywhere, infer. */
  list: { domains: AcceptedDomainList; origin: string } | undefined;
  loadedAt: number;
}

/**
 * Resolves accepted domains with a time-bounded cache. An unreadable or invalid config file
 * throws (and is not cached): analysing with the wrong domains would store wrong findings as done.
 */
export class DomainSource {
  private cache: CacheEntry | undefined;
  private readonly cacheMs: number;
  private readonly now: () => number;

  public constructor(private readonly options: DomainSourceOptions) {
    this.cacheMs = options.cacheMs ?? DOMAINS_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  /** The oracle for the next analysis. An inferred oracle is fresh each time: it learns from one upload. */
  public async resolve(): Promise<ResolvedDomains> {
    if (!this.cache || this.now() - this.cache.loadedAt >= this.cacheMs) {
      this.cache = { list: await this.load(), loadedAt: this.now() };
    }
    const list = this.cache.list;
    if (list) return { oracle: list.domains, origin: list.origin };
    return { oracle: new InferredDomains(), origin: 'inferred from the traffic' };
  }

  /** Forget the cached list: `config/` changed, so the next analysis reads it again. */
  public invalidate(): void {
    this.cache = undefined;
  }

  private async load(): Promise<CacheEntry['list']> {
    const origin = `s3://${this.options.bucket}/${ACCEPTED_DOMAINS_KEY}`;
    const text = await this.readConfig(origin);
    if (text !== undefined) return { domains: parseAcceptedDomains(text, origin), origin };
    const fallback = this.options.fallbackList?.trim();
    if (fallback) {
      return { domains: parseAcceptedDomains(fallback, 'ACCEPTED_DOMAINS'), origin: 'ACCEPTED_DOMAINS' };
    }
    return undefined;
  }

  private async readConfig(origin: string): Promise<string | undefined> {
    try {
      const response = await this.options.s3.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: ACCEPTED_DOMAINS_KEY }),
      );
      if ((response.ContentLength ?? 0) > MAX_CONFIG_BYTES) {
        (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw new ConfigError(
          `${origin} is larger than ${MAX_CONFIG_BYTES} bytes: not an accepted-domains list`,
        );
      }
      // Decoded as every input is (a BOM, UTF-16 sniffed): Windows PowerShell 5.1 `>` writes UTF-16LE.
      const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
      return configText(bytes, origin, ACCEPTED_DOMAINS_EXPECTED);
    } catch (error) {
      if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
        return undefined;
      throw error;
    }
  }
}
