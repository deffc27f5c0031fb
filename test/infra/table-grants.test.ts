/**
 * Each function's role may do exactly what its code does, checked both ways:
 * - the synthesized policies hold exactly the DynamoDB actions of lib/constructs/table-access.ts
 *   (no Scan, DeleteItem or stream reads a function never uses);
 * - every AWS SDK command the function's bundle can send (found in the sources esbuild keeps in
 *   it, bundled as the stack bundles it) is covered by a grant of its role. A store change that
 *   adds a call fails here, not in the cloud with AccessDenied.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXTERNAL_MODULES, PROJECT_ROOT, type RelayFunction } from '../../lib/constructs/relay-function.js';
import { TABLE_ACTIONS, type TableUser } from '../../lib/constructs/table-access.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

type Statement = { Action: string | string[]; Resource: unknown };

/** The IAM action each SDK command needs (only commands the functions send are listed). */
const SDK_PACKAGES: Record<string, { service: string; action: (command: string) => string }> = {
  '@aws-sdk/client-dynamodb': { service: 'dynamodb', action: (command) => `dynamodb:${command}` },
  '@aws-sdk/client-s3': {
    service: 's3',
    // IAM names these two after what they do per object or bucket, not after the API call.
    action: (command) =>
      command === 'ListObjectsV2'
        ? 's3:ListBucket'
        : command === 'DeleteObjects'
          ? 's3:DeleteObject'
          : command === 'HeadObject'
            ? 's3:GetObject'
            : `s3:${command}`,
  },
  '@aws-sdk/client-sns': { service: 'sns', action: (command) => `sns:${command}` },
  '@aws-sdk/client-sqs': { service: 'sqs', action: (command) => `sqs:${command}` },
};

/**
 * Calls in a bundle that the function never makes, and why. `*` stands for every call of the
 * module; the ensureTable case is checked below (nothing else in the bundle calls it).
 */
const NEVER_CALLED: Record<TableUser, Record<string, { commands: readonly string[] | '*'; why: string }>> = {
  ingest: {
    'functions/store/source-findings.ts': {
      commands: ['DeleteItem'],
      why: 'findings an older classifier wrote are removed by a re-analysis only (the re-analysis worker)',
    },
  },
  nightly: {},
  reanalysis: {
    'functions/ingest/handler.ts': {
      commands: ['SendMessage'],
      why: 'the worker has no INGEST_QUEUE_URL: an object that does not fit goes on through the state machine',
    },
  },
  api: {
    'functions/store/findings-store.ts': {
      commands: ['PutItem'],
      why: 'the API reaches the store only through ApiStore (functions/api/dependencies.ts), which has no write',
    },
    'functions/store/batch-writer.ts': { commands: '*', why: 'writes only; see ApiStore' },
    'functions/store/source-findings.ts': {
      commands: ['DeleteItem'],
      why: 'removals are made only by a re-analysis; see ApiStore',
    },
    'functions/store/rollups.ts': {
      commands: '*',
      why: 'counter updates, made only by putFindings; see ApiStore',
    },
    'functions/store/finding-twins.ts': {
      commands: '*',
      why: 'twin markers and the removal of a folded twin, made only by putFindings; see ApiStore',
    },
    'functions/store/organisation-config.ts': {
      commands: ['PutItem'],
      why: 'the API reads the readiness report through ReadinessReader, which has no write',
    },
  },
};
const TABLE_LIFECYCLE = 'functions/store/table-lifecycle.ts';
/** ensureTable creates the table for the embedded engine and tests; in the cloud the stack owns it. */
const LOCAL_ONLY = new Set([TABLE_LIFECYCLE]);

function neverCalled(user: TableUser, file: string, command: string): boolean {
  if (LOCAL_ONLY.has(file)) return true;
  const entry = NEVER_CALLED[user][file];
  return entry !== undefined && (entry.commands === '*' || entry.commands.includes(command));
}

/** Source text without comments (a comment may name a call that the code never makes). */
function codeOf(file: string): string {
  return readFileSync(join(PROJECT_ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

const FUNCTIONS: Record<TableUser, { entry: string; handler: (app: RelayAuditApp) => RelayFunction }> = {
  ingest: { entry: 'functions/ingest/handler.ts', handler: (app) => app.stack.ingest.handler },
  nightly: { entry: 'functions/nightly/handler.ts', handler: (app) => app.stack.nightly.handler },
  api: { entry: 'functions/api/handler.ts', handler: (app) => app.stack.queryApi.handler },
  reanalysis: { entry: 'functions/reanalyze/handler.ts', handler: (app) => app.stack.reanalysis.worker },
};

let built: RelayAuditApp;
let template: Template;

beforeAll(() => {
  built = buildApp({ 'aws:cdk:bundling-stacks': [] });
  template = Template.fromStack(built.stack);
});

/** The statements of the policies attached to `fn`'s role. */
function statementsOf(fn: RelayFunction): Statement[] {
  const role = { Ref: built.stack.getLogicalId(fn.role.node.defaultChild as CfnElement) };
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [role] } });
  return Object.values(policies).flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

function actionsOf(statements: readonly Statement[]): string[] {
  return [...new Set(statements.flatMap((statement) => ([] as string[]).concat(statement.Action)))].sort();
}

/** The source files esbuild keeps in the function's bundle (bundled as the stack bundles it). */
async function bundledSources(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, entry)],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: EXTERNAL_MODULES,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  return Object.entries(output?.inputs ?? {})
    .filter(([path, input]) => input.bytesInOutput > 0 && !path.includes('node_modules/'))
    .map(([path]) => path);
}

/** `file`'s SDK commands: the `…Command` classes it imports from an SDK client and constructs. */
function sdkCommandsIn(file: string): { pkg: string; command: string }[] {
  const text = codeOf(file);
  const found: { pkg: string; command: string }[] = [];
  for (const match of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
    const [, names = '', pkg = ''] = match;
    for (const name of names.split(',').map((part) => part.replace(/^\s*type\s+/, '').trim())) {
      const command = /^(\w+)Command$/.exec(name)?.[1];
      if (command !== undefined && new RegExp(`new\\s+${name}\\(`).test(text)) found.push({ pkg, command });
    }
  }
  return found;
}

describe.each(Object.keys(FUNCTIONS) as TableUser[])('the %s function', (user) => {
  const fn = FUNCTIONS[user];

  it('may take exactly its listed DynamoDB actions on the findings table', () => {
    const statements = statementsOf(fn.handler(built));
    const dynamo = statements.filter((statement) =>
      actionsOf([statement]).some((a) => a.startsWith('dynamodb:')),
    );
    expect(actionsOf(dynamo)).toEqual([...TABLE_ACTIONS[user]].sort());
    expect(actionsOf(statements)).not.toContain('dynamodb:Scan');
    expect(JSON.stringify(dynamo.map((statement) => statement.Resource))).toContain(
      built.stack.getLogicalId(built.stack.table.node.defaultChild as CfnElement),
    );
  });

  it('is granted every SDK call its bundled code can make', async () => {
    const sources = await bundledSources(fn.entry);
    expect(sources).toContain(fn.entry);
    const calls = sources
      .flatMap((file) => sdkCommandsIn(file).map((call) => ({ file, ...call })))
      .filter(({ file, command }) => !neverCalled(user, file, command));
    expect(calls.length).toBeGreaterThan(0);
    const granted = new Set(actionsOf(statementsOf(fn.handler(built))));
    const missing = calls
      .map(({ file, pkg, command }) => ({
        file,
        action: SDK_PACKAGES[pkg]?.action(command) ?? `${pkg}:${command}`,
      }))
      .filter(({ action }) => !granted.has(action));
    expect(missing, 'SDK calls of the bundle that the role may not make').toEqual([]);
    // The other way: every DynamoDB action granted is one the code calls.
    const called = new Set(
      calls
        .filter(({ pkg }) => pkg === '@aws-sdk/client-dynamodb')
        .map(({ command }) => `dynamodb:${command}`),
    );
    expect([...TABLE_ACTIONS[user]].filter((action) => !called.has(action))).toEqual([]);
    // The table lifecycle left out above is really never called from the rest of the bundle.
    for (const file of sources.filter(
      (source) => !LOCAL_ONLY.has(source) && source !== 'functions/store/findings-store.ts',
    )) {
      expect(codeOf(file), file).not.toMatch(/\bensureTable\(/);
    }
  }, 60_000);
});
