/**
 * `--db DIR` (embedded engine, the default), `--table NAME [--endpoint URL] [--region R]` (a real
 * DynamoDB table through the standard AWS credential chain) or `--stack NAME` (the table of a
 * deployed stack, from its outputs). Same store code either way.
 */
import { resolve } from 'node:path';
import { ArgumentError } from '../../functions/core/kernel/errors.js';
import type { StoreHandle } from '../../functions/store/index.js';
import { refusalsAsSetupErrors, requireCredentials } from './aws-credentials.js';
import { requireRegion } from './aws-region.js';

export interface StoreFlags {
  db?: string | undefined;
  table?: string | undefined;
  stack?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
}

/** The options of a DynamoDB table (of a stack or not), as against --db, the embedded store. */
const REMOTE_OPTIONS = {
  table: 'a DynamoDB table',
  stack: "a deployed stack's table",
  endpoint: 'the DynamoDB endpoint of --table or --stack',
  region: 'the AWS region of --table or --stack',
} as const;

/**
 * Checks that the store flags name one store. Without this, `--db X --table T` would silently use
 * the table and `--db X --endpoint URL` the directory, and the user would read another store than
 * the one they named. Throws `ArgumentError` (a usage error) naming the two options that clash.
 */
export function checkStoreFlags(flags: StoreFlags): void {
  const remote = (Object.keys(REMOTE_OPTIONS) as (keyof typeof REMOTE_OPTIONS)[]).find(
    (name) => flags[name] !== undefined,
  );
  if (flags.db !== undefined && remote !== undefined) {
    throw new ArgumentError(
      `--db cannot be combined with --${remote}: --db is the embedded store, --${remote} ` +
        `${REMOTE_OPTIONS[remote]}; give one or the other`,
    );
  }
  if (flags.stack !== undefined && flags.table !== undefined) {
    throw new ArgumentError('--stack cannot be combined with --table: the stack names its own table');
  }
  if (flags.stack === undefined && flags.table === undefined) {
    const orphan = (['endpoint', 'region'] as const).find((name) => flags[name] !== undefined);
    if (orphan !== undefined) {
      throw new ArgumentError(
        `--${orphan} applies only with --table or --stack (the embedded store has no ${orphan})`,
      );
    }
  }
}

export interface OpenStoreOptions {
  /**
   * The command only reads (or, like `report`, derives from what is stored): an embedded store must
   * exist already. Otherwise a mistyped --db, or one pointed at a logs folder, would get a new empty
   * store written into it and the command would report "no findings" as if that were true.
   */
  mustExist?: boolean;
}

/** What a remote store's calls need, named when the identity was denied one. */
const TABLE_PERMISSIONS =
  'dynamodb:Query and the item calls (GetItem, PutItem, UpdateItem, DeleteItem, Batch*) on the table';

/** Opens the store; the AWS SDK and the embedded engine load only now, so `--no-store` runs start fast. */
export async function openStore(
  flags: StoreFlags,
  options: OpenStoreOptions = {},
): Promise<StoreHandle & { description: string }> {
  checkStoreFlags(flags);
  if (flags.stack) {
    const { readStackOutputs } = await import('./stack-outputs.js');
    const outputs = await readStackOutputs(flags.stack, { region: flags.region });
    const { createRemoteStore } = await import('../../functions/store/remote-store.js');
    const handle = createRemoteStore({
      tableName: outputs.table,
      region: outputs.region,
      ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
    });
    refusalsAsSetupErrors(handle.client, `--stack ${flags.stack}: table ${outputs.table}`, TABLE_PERMISSIONS);
    return { ...handle, description: `DynamoDB table ${outputs.table} of stack ${flags.stack}` };
  }
  if (flags.table) {
    const { createRemoteStore } = await import('../../functions/store/remote-store.js');
    const handle = createRemoteStore({
      tableName: flags.table,
      ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
      ...(flags.region ? { region: flags.region } : {}),
    });
    // Region and credentials are checked before anything is read or analysed: without them every
    // store call would fail, and the first failure would read as a failed analysis (exit status 1).
    const what = `--table ${flags.table}`;
    // Credentials that load but are refused at a call (expired, revoked, without the table's
    // permission) are the same setup problem, whenever the call comes.
    refusalsAsSetupErrors(handle.client, what, TABLE_PERMISSIONS);
    try {
      await requireRegion(handle.client, `${what}: no AWS region for the table`);
      await requireCredentials(handle.client, what, TABLE_PERMISSIONS);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return {
      ...handle,
      description: `DynamoDB table ${flags.table}${flags.endpoint ? ` at ${flags.endpoint}` : ''}`,
    };
  }
  const { DEFAULT_STORE_DIR, embeddedStoreExists, startEmbeddedStore } = await import(
    '../../functions/store/embedded-engine.js'
  );
  const dir = flags.db ?? DEFAULT_STORE_DIR;
  if (options.mustExist && !(await embeddedStoreExists(dir))) throw missingStore(flags, dir);
  const handle = await startEmbeddedStore({ dir });
  return { ...handle, description: `embedded store in ${dir}/` };
}

/** A read of a directory that holds no store: a usage error, like a missing input file. */
function missingStore(flags: StoreFlags, dir: string): ArgumentError {
  const where = resolve(dir);
  const given = flags.db === undefined ? ' (the default store; give --db DIR for another)' : '';
  return new ArgumentError(
    `no relay-audit store in ${where}${given}: nothing has been analysed into it. ` +
      `Check the path, or analyse logs into it first: ${suggestedCommand('analyze <file|dir>...', flags)}`,
  );
}

/**
 * The store flags as typed again on a command line (` --db ./x`, ` --table T --endpoint URL`), so a
 * report can name the exact command that reads the same store. Empty for the default store.
 */
export function storeFlagsText(flags: StoreFlags): string {
  const parts: string[] = [];
  if (flags.stack) {
    parts.push('--stack', flags.stack);
    if (flags.region) parts.push('--region', flags.region);
  } else if (flags.table) {
    parts.push('--table', flags.table);
    if (flags.endpoint) parts.push('--endpoint', flags.endpoint);
    if (flags.region) parts.push('--region', flags.region);
  } else if (flags.db) {
    parts.push('--db', flags.db);
  }
  return parts.map((part) => ` ${shellWord(part)}`).join('');
}

/** Quotes a word for a POSIX shell when it holds anything but plain path characters. */
function shellWord(word: string): string {
  return /^[\w./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * A relay-audit command to print as the next step, with the store flags of this run, so that
 * running it as printed reads the same store (`relay-audit findings --scenario ndr --db ./x`).
 * Every command a report suggests is built here.
 */
export function suggestedCommand(command: string, flags: StoreFlags): string {
  return `relay-audit ${command}${storeFlagsText(flags)}`;
}
