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
import { type DomainsOrigin, InvalidDomainsError } from './errors.js';

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
 * Resolves accepted domains with a time-bounded cache. An unreadable config file throws the read's
 * error (retried), an invalid one {@link InvalidDomainsError} (the upload fails, not retried);
 * neither is cached, and neither is analysed: the wrong domains would store wrong findings as done.
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
    const { bucket } = this.options;
    const origin = `s3://${bucket}/${ACCEPTED_DOMAINS_KEY}`;
    const file: DomainsOrigin = { kind: 'bucket-file', bucket, key: ACCEPTED_DOMAINS_KEY };
    const text = await invalidAs(file, origin, () => this.readConfig(origin));
    if (text !== undefined)
      return { domains: await invalidAs(file, origin, () => parseAcceptedDomains(text, origin)), origin };
    const fallback = this.options.fallbackList?.trim();
    if (fallback) {
      const setting = 'ACCEPTED_DOMAINS';
      const domains = await invalidAs({ kind: 'setting' }, setting, () =>
        parseAcceptedDomains(fallback, setting),
      );
      return { domains, origin: setting };
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

/**
 * `read`, with a file or setting that is not what it should be (a `ConfigError`: too large, not
 * text, no domains) thrown as {@link InvalidDomainsError}; any other error (S3 unreachable,
 * throttled, denied) is thrown as it is, to be retried.
 */
async function invalidAs<T>(origin: DomainsOrigin, name: string, read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The parse error names the origin first; the message names it its own way.
    const problem = error.message.startsWith(`${name}: `)
      ? error.message.slice(name.length + 2)
      : error.message;
    throw new InvalidDomainsError(origin, problem.replace(/\.$/, ''), { cause: error });
  }
}
