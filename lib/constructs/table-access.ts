/**
 * The DynamoDB actions each function may take on the findings table: exactly the calls its code
 * makes, no more. `grantReadWriteData` would add `Scan`, `DeleteItem`, `ConditionCheckItem` and
 * the stream reads, which no function uses. test/infra/table-grants.test.ts checks both ways: the
 * synthesized policies hold exactly these actions, and every DynamoDB command the bundled code of
 * a function can send is among them (a store change that adds a call fails that test, not a
 * deployment at run time).
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';

/** Reads and writes, and DeleteItem (see the users below for why each deletes). */
const WRITES_AND_DELETES = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

export const TABLE_ACTIONS = {
  /** Sources (get, conditional put for the lease), findings and remediation texts (batch write and
   * read), the rollup counters (UpdateItem ADD), the inbound index, the correlation's queries, the
   * organisation configuration; DeleteItem: a refusal an earlier upload stored without its recipient
   * is removed once this upload names it (its twin marker, functions/store/finding-twins.ts). */
  ingest: WRITES_AND_DELETES,
  /** The ingest's reads and writes, plus DeleteItem: the repair of a day drops the rollup cells no
   * finding backs any more. */
  nightly: WRITES_AND_DELETES,
  /** The ingest's reads and writes, plus DeleteItem: a re-analysis removes the findings an older
   * classifier version wrote that the current one no longer finds. */
  reanalysis: WRITES_AND_DELETES,
  /** Reads only; never a Scan. */
  api: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
} as const satisfies Record<string, readonly `dynamodb:${string}`[]>;

export type TableUser = keyof typeof TABLE_ACTIONS;

/** Grants `user`'s actions on the table and its indexes (table-ARN/index/*). */
export function grantTableAccess(table: ITable, grantee: IGrantable, user: TableUser): void {
  table.grant(grantee, ...TABLE_ACTIONS[user]);
}
