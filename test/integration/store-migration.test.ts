/**
 * A store written by an earlier table design is not read wrong: opening it fails with a message that
 * says to analyse again into a new store (README, "Upgrading the store"), and doing so gives the
 * same findings, by id, as before. Two earlier designs: four GSIs projecting ALL with one `gsiNsk`
 * sort key per index, and four lean GSIs (a `bySource` index, unsharded partitions).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineThread } from '../../functions/store/engine-thread-client.js';
import { cli } from '../support/capture-output.js';

/** The previous design's table, as its `createTableInput` built it. */
const PREVIOUS_DESIGN: CreateTableCommandInput = {
  TableName: 'relay-audit',
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    'pk',
    'sk',
    'gsi1pk',
    'gsi1sk',
    'gsi2pk',
    'gsi2sk',
    'gsi3pk',
    'gsi3sk',
    'gsi4pk',
    'gsi4sk',
  ].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [1, 2, 3, 4].map((n) => ({
    IndexName: `gsi${n}`,
    KeySchema: [
      { AttributeName: `gsi${n}pk`, KeyType: 'HASH' },
      { AttributeName: `gsi${n}sk`, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  })),
};

/** The lean design before this one: a fourth index by source, the upload id in `gsi4pk`. */
const PREVIOUS_LEAN_DESIGN: CreateTableCommandInput = {
  TableName: 'relay-audit',
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsisk', 'gsi2pk', 'gsi3pk', 'gsi4pk'].map((name) => ({
    AttributeName: name,
    AttributeType: 'S',
  })),
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    ['messageId', 'gsi4pk'],
    ['gsi1pk'],
    ['gsi1pk', 'gsi2pk'],
    ['gsi1pk', 'gsi2pk', 'gsi3pk'],
  ].map((included, i) => ({
    IndexName: `gsi${i + 1}`,
    KeySchema: [
      { AttributeName: `gsi${i + 1}pk`, KeyType: 'HASH' },
      { AttributeName: 'gsisk', KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: included },
  })),
};

const SAMPLES = ['sample-logs', '--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-migration-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ids(ndjson: string): string[] {
  return ndjson
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id)
    .sort();
}

describe('a store of an earlier table design', () => {
  it.each([
    ['with ALL projections', PREVIOUS_DESIGN],
    ['with a bySource index', PREVIOUS_LEAN_DESIGN],
  ])(
    '%s is refused with how to re-analyse, and re-analysing into a new store gives the same findings',
    async (name, design) => {
      // Prepare: an embedded store written by the earlier design (its table and one of its items).
      const old = join(dir, `old ${name}`);
      const thread = new EngineThread({ path: old });
      const client = new DynamoDBClient({
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        endpoint: 'http://embedded.relay-audit.invalid',
        requestHandler: thread.requestHandler,
      });
      try {
        await client.send(new CreateTableCommand(design));
        // dynalite marks a new table ACTIVE a moment after answering CreateTable; a put before that
        // is refused as "resource not found" (seen under load).
        await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: 'relay-audit' });
        await client.send(
          new PutItemCommand({
            TableName: 'relay-audit',
            Item: {
              pk: { S: 'FINDING#f1' },
              sk: { S: 'FINDING' },
              gsi1pk: { S: 'SCENARIO#ndr' },
              gsi1sk: { S: '2026-11-28T00:00:00.000Z#f1' },
              id: { S: 'f1' },
            },
          }),
        );
      } finally {
        client.destroy();
        await thread.close();
      }
      const printed = await cli('analyze', ...SAMPLES, '--no-store');

      // Act
      const refused = await cli('analyze', ...SAMPLES, '--db', old);
      const fresh = join(dir, `new ${name}`);
      const again = await cli('analyze', ...SAMPLES, '--db', fresh);
      const stored = await cli('findings', '--db', fresh, '--format', 'ndjson');

      // Assess
      expect(refused.status).not.toBe(0);
      expect(refused.out.stderr).toMatch(/written by an earlier relay-audit/);
      expect(refused.out.stderr).toMatch(/Upgrading the store/);
      expect(again.status).toBe(printed.status);
      expect(ids(stored.out.stdout)).toEqual(ids(printed.out.stdout));
      expect(ids(stored.out.stdout).length).toBeGreaterThan(5);
    },
  );
});
