/**
 * The embedded engine's own thread: dynalite's storage (LevelDB) and its DynamoDB actions, driven by
 * messages from the main thread instead of HTTP (see engine-thread-client.ts).
 *
 * Why a thread: the engine's work (validating requests, maintaining the secondary indexes, LevelDB
 * puts and gets) costs more CPU than the analysis itself, and on the main thread the two took turns.
 * Here it runs on the second core while the analysis keeps reading. Why no HTTP: nothing listens,
 * so no other program or web page on the machine can reach the store, and requests skip the socket,
 * HTTP parsing and checksums.
 *
 * dynalite's request front (its `httpHandler`) is not exported; `dispatch` below repeats the part of
 * it that matters once signatures and HTTP are gone: parse, check the operation, validate the input
 * with dynalite's own validations, run the action, answer with DynamoDB's error shape.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineReply, EngineRequest, EngineThreadOptions } from './engine-thread-protocol.js';

/** dynalite's store object (db/index.js `create`): what the actions need, and its database. */
interface DynaliteStore {
  db: { close(callback: (error?: Error | null) => void): void };
}
/** An error of a dynalite action or validation: `statusCode` and `body` mean "answer with this". */
interface DynaliteError extends Error {
  statusCode?: number;
  body?: unknown;
}
type Action = (
  store: DynaliteStore,
  data: unknown,
  callback: (error: unknown, data?: unknown) => void,
) => void;
interface ActionValidation {
  types: unknown;
  custom?: unknown;
}
interface Validations {
  checkTypes(data: unknown, types: unknown): unknown;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: DynaliteStore): void;
}

// dynalite is CommonJS without an exports map; its modules are loaded by path.
const requireDynalite = createRequire(import.meta.url);
const dynaliteDb = requireDynalite('dynalite/db') as { create(options: object): DynaliteStore };
const validations = requireDynalite('dynalite/validations') as Validations;

/** The operations dynalite implements, by their name in `X-Amz-Target`. */
const OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'ListTagsOfResource',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'UpdateItem',
  'UpdateTable',
] as const;

const handlers = new Map<string, { action: Action; validation: ActionValidation }>(
  OPERATIONS.map((operation) => {
    const name = operation.charAt(0).toLowerCase() + operation.slice(1);
    return [
      operation,
      {
        action: requireDynalite(`dynalite/actions/${name}`) as Action,
        validation: requireDynalite(`dynalite/validations/${name}`) as ActionValidation,
      },
    ];
  }),
);

function answer(status: number, body: unknown): { status: number; body: string } {
  return { status, body: JSON.stringify(body) };
}

function isDynaliteAnswer(error: unknown): error is DynaliteError & { statusCode: number } {
  return (
    typeof error === 'object' && error !== null && typeof (error as DynaliteError).statusCode === 'number'
  );
}

/** Runs one DynamoDB JSON request against the store; resolves with the HTTP status and body. */
function dispatch(
  store: DynaliteStore,
  operation: string,
  body: string,
): Promise<{ status: number; body: string }> {
  const handler = handlers.get(operation);
  if (handler === undefined) {
    return Promise.resolve(answer(400, { __type: 'com.amazon.coral.service#UnknownOperationException' }));
  }
  let data: unknown;
  try {
    data = JSON.parse(body);
    data = validations.checkTypes(data, handler.validation.types);
    validations.checkValidations(data, handler.validation.types, handler.validation.custom, store);
  } catch (error) {
    if (error instanceof SyntaxError) {
      return Promise.resolve(answer(400, { __type: 'com.amazon.coral.service#SerializationException' }));
    }
    if (isDynaliteAnswer(error)) return Promise.resolve(answer(error.statusCode, error.body));
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    handler.action(store, data, (error, result) => {
      if (error === null || error === undefined) resolve(answer(200, result));
      else if (isDynaliteAnswer(error)) resolve(answer(error.statusCode, error.body));
      else reject(error);
    });
  });
}

function serve(options: EngineThreadOptions): void {
  const port = parentPort;
  if (port === null) throw new Error('engine-thread.js runs as a worker thread only');
  const store = dynaliteDb.create({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const reply = (message: EngineReply): void => port.postMessage(message);

  port.on('message', (message: EngineRequest) => {
    if (message.kind === 'close') {
      store.db.close((error) => {
        reply({ kind: 'closed', ...(error ? { error: error.message } : {}) });
        port.close();
      });
      return;
    }
    dispatch(store, message.operation, message.body).then(
      (result) => reply({ kind: 'response', id: message.id, ...result }),
      // An engine fault (not a DynamoDB error answer): the caller sees a 500, as from a server.
      (error: unknown) =>
        reply({
          kind: 'response',
          id: message.id,
          ...answer(500, {
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: error instanceof Error ? error.message : String(error),
          }),
        }),
    );
  });
}

serve(workerData as EngineThreadOptions);
