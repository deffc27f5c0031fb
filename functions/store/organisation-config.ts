/**
 * The organisation's current configuration (the files under `config/`) and the latest readiness
 * report, in the findings table. Two items, in the base table only (no GSI attributes, so no
 * findings or sources query can ever see them), each read with one GetItem — never a Scan:
 *
 * | Item                | pk                        | sk        | plain attributes (for conditions)   | TTL  |
 * |---------------------|---------------------------|-----------|-------------------------------------|------|
 * | organisation config | `CONFIG#ORGANISATION`     | `CURRENT` | `loadedAt`, `configHash`            | none |
 * | readiness report    | `READINESS#ORGANISATION`  | `LATEST`  | `checkedAt`, `configLoadedAt`, `configHash` | none |
 *
 * Each item carries its document (`OrganisationConfig` / `ReadinessReport`) as gzip-compressed
 * JSON in the binary attribute `document`, so a connectors export and a few certificates stay far
 * below DynamoDB's 400 KB item limit; both are validated with zod on read.
 *
 * Ordering: several uploads under `config/` at once are checked by concurrent invocations, each on
 * the snapshot it listed. A write only lands when no later snapshot is stored already
 * (`loadedAt <= :mine` on the config, `configLoadedAt <= :mine` on the report), so the last
 * snapshot wins whatever order the invocations finish in, and the nightly re-check of an older
 * snapshot never overwrites the report of a newer upload.
 *
 * Same conventions as `table-design.ts` (entity attribute, `#`-joined keys) and the same retry and
 * error translation as `FindingsStore` (`createDynamoCall` with `DEFAULT_RETRY_POLICY`). These key
 * builders belong in `table-design.ts` once the store owner adopts them.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { StoreError } from '../core/kernel/errors.js';
import { OrganisationConfig } from '../core/organisation/configuration.js';
import { ReadinessReport } from '../core/readiness/report-schema.js';
import { causeName, createDynamoCall, type DynamoCall } from './dynamo-call.js';
import { SILENT_LOGGER, type StoreLogger } from './logger.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import {
  ENTITY,
  ENTITY_ATTRIBUTE,
  ORGANISATION_CONFIG_KEY,
  type PrimaryKey,
  READINESS_KEY,
} from './table-design.js';

/** The table: a `StoreHandle` (embedded engine or remote table) satisfies it. */
export interface OrganisationTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export interface OrganisationConfigStoreOptions {
  logger?: StoreLogger;
  retry?: Partial<RetryPolicy>;
}

/** What reads the latest report (the query API needs only this). */
export interface ReadinessReader {
  getReadiness(): Promise<ReadinessReport | undefined>;
}

function key(value: PrimaryKey): Record<string, AttributeValue> {
  return { pk: { S: value.pk }, sk: { S: value.sk } };
}

function pack(document: unknown): AttributeValue {
  return { B: gzipSync(Buffer.from(JSON.stringify(document), 'utf8')) };
}

/** Reads and writes the organisation's configuration and its latest readiness report. */
export class OrganisationConfigStore implements ReadinessReader {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly call: DynamoCall;

  public constructor(table: OrganisationTable, options: OrganisationConfigStoreOptions = {}) {
    this.client = table.client;
    this.tableName = table.tableName;
    const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.call = createDynamoCall(this.tableName, policy, options.logger ?? SILENT_LOGGER);
  }

  /** The stored configuration, or `undefined` when none was ever stored. */
  public getConfig(): Promise<OrganisationConfig | undefined> {
    return this.read(
      ORGANISATION_CONFIG_KEY,
      (value) => OrganisationConfig.safeParse(value),
      'organisation config',
    );
  }

  /** The latest readiness report, or `undefined` when none was ever stored. */
  public getReadiness(): Promise<ReadinessReport | undefined> {
    return this.read(READINESS_KEY, (value) => ReadinessReport.safeParse(value), 'readiness report');
  }

  /** Stores `config` unless a later snapshot is stored; false when it was not stored. */
  public putConfig(config: OrganisationConfig): Promise<boolean> {
    const data = OrganisationConfig.parse(config);
    return this.conditionalPut(
      {
        ...key(ORGANISATION_CONFIG_KEY),
        [ENTITY_ATTRIBUTE]: { S: ENTITY.organisationConfig },
        loadedAt: { S: data.loadedAt },
        configHash: { S: data.hash },
        document: pack(data),
      },
      'loadedAt',
      data.loadedAt,
    );
  }

  /** Stores `report` unless the report of a later configuration snapshot is stored; false when not stored. */
  public putReadiness(report: ReadinessReport): Promise<boolean> {
    const data = ReadinessReport.parse(report);
    return this.conditionalPut(
      {
        ...key(READINESS_KEY),
        [ENTITY_ATTRIBUTE]: { S: ENTITY.readiness },
        checkedAt: { S: data.checkedAt },
        configLoadedAt: { S: data.configLoadedAt },
        configHash: { S: data.configHash },
        document: pack(data),
      },
      'configLoadedAt',
      data.configLoadedAt,
    );
  }

  /**
   * Stores a configuration and the report made from it: the configuration first, so a report is
   * never about a configuration that is not stored. False when a later snapshot won.
   */
  public async save(config: OrganisationConfig, report: ReadinessReport): Promise<boolean> {
    if (report.configHash !== config.hash || report.configLoadedAt !== config.loadedAt) {
      throw new RangeError('the readiness report is not about this configuration');
    }
    if (!(await this.putConfig(config))) return false;
    return this.putReadiness(report);
  }

  private async conditionalPut(
    item: Record<string, AttributeValue>,
    orderAttribute: string,
    value: string,
  ): Promise<boolean> {
    try {
      await this.call('PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk) OR #order <= :order',
            ExpressionAttributeNames: { '#pk': 'pk', '#order': orderAttribute },
            ExpressionAttributeValues: { ':order': { S: value } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (causeName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async read<T>(
    itemKey: { pk: string; sk: string },
    parse: (value: unknown) => { success: true; data: T } | { success: false; error: unknown },
    what: string,
  ): Promise<T | undefined> {
    const response = await this.call('GetItem', () =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: key(itemKey), ConsistentRead: true }),
      ),
    );
    const document = response.Item?.document?.B;
    if (response.Item === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(gunzipSync(document ?? new Uint8Array()).toString('utf8'));
    } catch (error) {
      throw new StoreError(`the ${what} item in table "${this.tableName}" cannot be read`, { cause: error });
    }
    const parsed = parse(value);
    if (!parsed.success) {
      throw new StoreError(`the ${what} item in table "${this.tableName}" is not valid`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }
}
