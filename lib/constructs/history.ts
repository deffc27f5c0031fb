/**
 * The findings' history in S3, queried with Athena: a Glue database and table over the nightly
 * job's gzip NDJSON objects under `history/findings/day=YYYY-MM-DD/` (functions/nightly/history.ts,
 * whose column list the table is made from), with partition projection on `day` (no crawler, no
 * partitions to add: a query's `WHERE day BETWEEN …` reads only those days' objects), and an
 * Athena workgroup whose results go, encrypted, under `athena-results/` with a per-query scan cap.
 */
import { Stack } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HISTORY_COLUMNS, HISTORY_FINDINGS_PREFIX } from '../../functions/nightly/history.js';
import { BUCKET_PREFIX } from '../../functions/runtime/bucket-layout.js';

/** The table's name in its database. */
export const HISTORY_TABLE_NAME = 'findings';
/** A query that would scan more than this is cancelled (and billed for what it scanned). */
export const HISTORY_SCAN_CUTOFF_BYTES = 10 * 1024 ** 3;

export interface HistoryProps {
  readonly bucket: IBucket;
  /** Days of history kept (the bucket's lifecycle expires older objects): the projection's range. */
  readonly historyRetentionDays: number;
}

/** Glue names: lower-case letters, digits and underscores. */
function glueName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

export class History extends Construct {
  public readonly databaseName: string;
  public readonly tableName = HISTORY_TABLE_NAME;
  public readonly workGroup: CfnWorkGroup;

  public constructor(scope: Construct, id: string, props: HistoryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.databaseName = glueName(`${stack.stackName}_history`);
    const location = `s3://${props.bucket.bucketName}/${HISTORY_FINDINGS_PREFIX}`;

    const database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'relay-audit: the findings history (one partition a day), for Athena',
      },
    });

    const table = new CfnTable(this, 'FindingsTable', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: HISTORY_TABLE_NAME,
        description: 'One row per finding, as the nightly job last saw it; remediation text left out',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'day', type: 'string' }],
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.day.type': 'date',
          'projection.day.format': 'yyyy-MM-dd',
          'projection.day.range': `NOW-${props.historyRetentionDays}DAYS,NOW`,
          'projection.day.interval': '1',
          'projection.day.interval.unit': 'DAYS',
          'storage.location.template': `${location}day=\${day}/`,
        },
        storageDescriptor: {
          location,
          columns: HISTORY_COLUMNS.map(({ name, type }) => ({ name, type })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        },
      },
    });
    table.addResourceDependency(database);

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: `${stack.stackName}-history`,
      description: 'relay-audit: queries of the findings history',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: HISTORY_SCAN_CUTOFF_BYTES,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${BUCKET_PREFIX.athenaResults}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}
