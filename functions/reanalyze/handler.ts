/**
 * Lambda entry of the re-analysis worker: the task of the re-analysis state machine's Distributed
 * Map (lib/constructs/reanalysis.ts), one object of `incoming/` per invocation. It analyses with
 * the ingest function's own dependencies, so an object is analysed exactly as an upload is.
 */
import { ingestDependenciesFromEnvironment } from '../ingest/handler.js';
import { createReanalysisWorker, type InvocationContext } from '../ingest/ingest.js';
import { headObjectWith } from '../runtime/head-object.js';
import { SERVICE_NAMES } from '../runtime/observability-names.js';
import { createReanalysisHandler, type ReanalysisHandler, type ReanalysisResult } from './reanalyse.js';

/** Wires the handler from the environment. Exported for tests that need a fresh container. */
export function createHandlerFromEnvironment(env: NodeJS.ProcessEnv = process.env): ReanalysisHandler {
  const { s3, ...deps } = ingestDependenciesFromEnvironment(env, SERVICE_NAMES.reanalysis);
  return createReanalysisHandler({
    worker: createReanalysisWorker(deps),
    headObject: headObjectWith(s3),
    logger: deps.logger,
  });
}

let container: ReanalysisHandler | undefined;

/** The Lambda handler. */
export async function handler(event: unknown, context: InvocationContext): Promise<ReanalysisResult> {
  container ??= createHandlerFromEnvironment();
  return container(event, context);
}
