/**
 * The ingest function's side of the organisation configuration:
 * - {@link ConfigurationUpdater}: on a notification under `config/`, load the whole configuration
 *   from the bucket, check it (at = now) and store configuration and readiness report — once per
 *   configuration content: a redelivered notification, or a re-upload of the same bytes, changes
 *   nothing;
 * - {@link ConnectorSource}: the OnPremises inbound connectors traffic findings choose from, from
 *   the stored configuration, cached like the accepted domains (five minutes, dropped when
 *   `config/` changes).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type OrganisationConfig, organisationConnectors } from '../core/organisation/configuration.js';
import type { InboundConnectorInfo } from '../core/organisation/connector-info.js';
import { checkOrganisationConfig } from '../core/readiness/report.js';
import type { CheckTrigger, ReadinessReport } from '../core/readiness/report-schema.js';
import { loadOrganisationConfig } from './config-loader.js';

/** The repository operations used here (`OrganisationConfigStore` satisfies it). */
export interface OrganisationRepository {
  getConfig(): Promise<OrganisationConfig | undefined>;
  getReadiness(): Promise<ReadinessReport | undefined>;
  save(config: OrganisationConfig, report: ReadinessReport): Promise<boolean>;
}

/** What one configuration update did. */
export type ConfigUpdateOutcome =
  | { result: 'checked'; config: OrganisationConfig; report: ReadinessReport }
  /** The same content was checked already (idempotency). */
  | { result: 'unchanged'; configHash: string }
  /** A later snapshot was stored meanwhile by another invocation; it has the newer results. */
  | { result: 'superseded'; configHash: string };

export interface ConfigurationUpdater {
  update(): Promise<ConfigUpdateOutcome>;
}

export interface ConfigurationUpdaterOptions {
  s3: S3Client;
  bucket: string;
  repository: OrganisationRepository;
  fallbackAcceptedDomains?: string;
  now?: () => Date;
  trigger?: CheckTrigger;
}

/** Builds the updater the ingest handler calls for `config/` notifications. */
export function createConfigurationUpdater(options: ConfigurationUpdaterOptions): ConfigurationUpdater {
  const now = options.now ?? (() => new Date());
  return {
    async update() {
      const config = await loadOrganisationConfig({
        s3: options.s3,
        bucket: options.bucket,
        now,
        ...(options.fallbackAcceptedDomains === undefined
          ? {}
          : { fallbackAcceptedDomains: options.fallbackAcceptedDomains }),
      });
      const [stored, latest] = await Promise.all([
        options.repository.getConfig(),
        options.repository.getReadiness(),
      ]);
      if (stored?.hash === config.hash && latest?.configHash === config.hash) {
        return { result: 'unchanged', configHash: config.hash };
      }
      const report = checkOrganisationConfig(config, { at: now(), trigger: options.trigger ?? 'upload' });
      const saved = await options.repository.save(config, report);
      return saved
        ? { result: 'checked', config, report }
        : { result: 'superseded', configHash: config.hash };
    },
  };
}

/** How long resolved connectors (or their absence) are trusted, like the accepted domains. */
export const CONNECTOR_CACHE_MS = 5 * 60_000;

/** The connectors for the next analysis, and where they came from (for logs). */
export interface ResolvedConnectors {
  connectors: readonly InboundConnectorInfo[];
  origin: string;
}

export interface ConnectorSourceOptions {
  repository: Pick<OrganisationRepository, 'getConfig'>;
  cacheMs?: number;
  now?: () => number;
}

/** The stored organisation's OnPremises connectors, cached per container. */
export class ConnectorSource {
  private cache: { value: ResolvedConnectors | undefined; loadedAt: number } | undefined;
  private readonly cacheMs: number;
  private readonly now: () => number;

  public constructor(private readonly options: ConnectorSourceOptions) {
    this.cacheMs = options.cacheMs ?? CONNECTOR_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  /** The connectors findings choose from, or `undefined` when the organisation gave none. */
  public async resolve(): Promise<ResolvedConnectors | undefined> {
    if (!this.cache || this.now() - this.cache.loadedAt >= this.cacheMs) {
      const found = organisationConnectors(await this.options.repository.getConfig());
      this.cache = {
        value: found === undefined ? undefined : { connectors: found.connectors, origin: found.file },
        loadedAt: this.now(),
      };
    }
    return this.cache.value;
  }

  /** Forget the cached answer (the configuration changed). */
  public invalidate(): void {
    this.cache = undefined;
  }
}
