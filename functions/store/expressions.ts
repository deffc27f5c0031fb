/**
 * Builders for Query key-condition and filter expressions. Attribute names always go through
 * placeholders so no key attribute can collide with a DynamoDB reserved word.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { PartitionFilter } from './query-plan.js';

export interface QueryExpressions {
  KeyConditionExpression: string;
  FilterExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
}

/**
 * `#pk = :pk` plus, when bounds are given, `BETWEEN` / `>=` / `<=` on the sort key (inclusive),
 * and, `AND`-ed, each of `filters` (its conditions `OR`-ed: `begins_with` or `=`).
 */
export function buildQueryExpressions(input: {
  partitionAttribute: string;
  partitionKey: string;
  sortAttribute: string;
  lower?: string | undefined;
  upper?: string | undefined;
  filters?: readonly PartitionFilter[];
}): QueryExpressions {
  const names: Record<string, string> = { '#pk': input.partitionAttribute };
  const values: Record<string, AttributeValue> = { ':pk': { S: input.partitionKey } };
  let condition = '#pk = :pk';
  if (input.lower !== undefined || input.upper !== undefined) names['#sk'] = input.sortAttribute;
  if (input.lower !== undefined) values[':lo'] = { S: input.lower };
  if (input.upper !== undefined) values[':hi'] = { S: input.upper };
  if (input.lower !== undefined && input.upper !== undefined) condition += ' AND #sk BETWEEN :lo AND :hi';
  else if (input.lower !== undefined) condition += ' AND #sk >= :lo';
  else if (input.upper !== undefined) condition += ' AND #sk <= :hi';

  const filters = input.filters ?? [];
  const clauses = filters.map((filter, i) => {
    const any = filter.map((condition, j) => {
      names[`#f${i}_${j}`] = condition.attribute;
      if ('prefix' in condition) {
        values[`:f${i}_${j}`] = { S: condition.prefix };
        return `begins_with(#f${i}_${j}, :f${i}_${j})`;
      }
      values[`:f${i}_${j}`] = { S: condition.equals };
      return `#f${i}_${j} = :f${i}_${j}`;
    });
    return any.length === 1 ? (any[0] ?? '') : `(${any.join(' OR ')})`;
  });
  return {
    KeyConditionExpression: condition,
    ...(clauses.length > 0 ? { FilterExpression: clauses.join(' AND ') } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
