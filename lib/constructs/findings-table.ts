/**
 * The findings table, built from `TABLE_DEFINITION` — the same key-design module the CLI and the
 * embedded engine use — so the cloud table cannot drift from what the store code queries.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  type KeyAttribute,
  TABLE_DEFINITION,
  type TableDefinition,
} from '../../functions/store/table-design.js';

function attribute(key: KeyAttribute): { name: string; type: AttributeType } {
  // Every key of the design is a string; the switch keeps the mapping total if that ever changes.
  switch (key.type) {
    case 'S':
      return { name: key.name, type: AttributeType.STRING };
  }
}

export interface FindingsTableProps {
  /** Defaults to `TABLE_DEFINITION`; a test may pass another definition to prove the mapping. */
  readonly definition?: TableDefinition;
}

/** On-demand, point-in-time recovery, AWS-managed encryption, TTL, GSIs as the key design says. */
export class FindingsTable extends Construct {
  public readonly table: Table;

  public constructor(scope: Construct, id: string, props: FindingsTableProps = {}) {
    super(scope, id);
    const definition = props.definition ?? TABLE_DEFINITION;
    if (definition.billingMode !== 'PAY_PER_REQUEST') {
      throw new Error(`unsupported billing mode ${String(definition.billingMode)}`);
    }
    // The id names the table design: a change CloudFormation cannot apply in place (the indexes' keys
    // or projections) deploys a new table, and the previous one is retained until deleted by hand
    // (README, "Upgrading the store").
    this.table = new Table(this, 'TableV2', {
      partitionKey: attribute(definition.partitionKey),
      sortKey: attribute(definition.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.timeToLiveAttribute,
      deletionProtection: true,
      // Findings are the product's data: keep the table if the stack is deleted.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of definition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: ProjectionType[index.projection.type],
        ...(index.projection.type === 'INCLUDE'
          ? { nonKeyAttributes: [...index.projection.nonKeyAttributes] }
          : {}),
      });
    }
  }
}
