/**
 * `--db DIR` (embedded engine, the default), `--table NAME [--endpoint URL] [--region R]` (a real
 * DynamoDB table through the standard AWS credential chain) or `--stack NAME` (the table of a
 * deployed stack, from its outputs). Same store code either way.
 */
import { ArgumentError } from '../../functions/core/kernel/errors.js';
import type { StoreHandle } from '../../functions/store/index.js';

export interface StoreFlags {
  db?: string | undefined;
  table?: string | undefined;
  stack?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
}

/** Opens the store; the AWS SDK and the embedded engine load only now, so `--no-store` runs start fast. */
export async function openStore(flags: StoreFlags): Promise<StoreHandle & { description: string }> {
  if (flags.stack) {
    if (flags.table || flags.db) throw new ArgumentError('--stack cannot be combined with --table or --db');
    const { readStackOutputs } = await import('./stack-outputs.js');
    const outputs = await readStackOutputs(flags.stack, { region: flags.region });
    const { createRemoteStore } = await import('../../functions/store/remote-store.js');
    const handle = createRemoteStore({
      tableName: outputs.table,
      region: outputs.region,
      ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
    });
    return { ...handle, description: `DynamoDB table ${outputs.table} of stack ${flags.stack}` };
  }
  if (flags.table) {
    const { createRemoteStore } = await import('../../functions/store/remote-store.js');
    const handle = createRemoteStore({
      tableName: flags.table,
      ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
      ...(flags.region ? { region: flags.region } : {}),
    });
    return {
      ...handle,
      description: `DynamoDB table ${flags.table}${flags.endpoint ? ` at ${flags.endpoint}` : ''}`,
    };
  }
  const { DEFAULT_STORE_DIR, startEmbeddedStore } = await import('../../functions/store/embedded-engine.js');
  const dir = flags.db ?? DEFAULT_STORE_DIR;
  const handle = await startEmbeddedStore({ dir });
  return { ...handle, description: `embedded store in ${dir}/` };
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
