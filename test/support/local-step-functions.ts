/**
 * A local Step Functions endpoint answering the calls `relay-audit reanalyze` makes as the service
 * documents them (the AWS JSON 1.0 protocol: a POST whose `X-Amz-Target` is
 * `AWSStepFunctions.<Action>`, a JSON body, dates as epoch seconds, errors as `{ __type, message }`):
 * StartExecution, DescribeExecution, ListMapRuns and DescribeMapRun. Each started execution plays
 * a scripted map run: every DescribeMapRun moves it one step, and the execution ends with the last.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Item counts of a map run, as DescribeMapRun returns them. */
export interface MapRunCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
}

export interface ScriptedRun {
  /** The map run's counts, one step per DescribeMapRun. */
  steps: MapRunCounts[];
  /** How the execution ends once the last step was read. */
  status: 'SUCCEEDED' | 'FAILED';
  /** The bucket the ResultWriter writes to (its manifest is named in a succeeded run's output). */
  resultBucket: string;
}

export interface StartedExecution {
  stateMachineArn: string;
  name: string;
  input: unknown;
}

export interface LocalStepFunctions {
  endpoint: string;
  /** StartExecution requests, in order. */
  started: StartedExecution[];
  /** Actions called, in order. */
  actions: string[];
  close(): Promise<void>;
}

interface Execution {
  arn: string;
  mapRunArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  startDate: number;
  step: number;
}

/** Counts of zero items, for a run still listing. */
export function counts(partial: Partial<MapRunCounts>): MapRunCounts {
  return {
    pending: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    aborted: 0,
    total: 0,
    resultsWritten: 0,
    ...partial,
  };
}

class ServiceError extends Error {
  public constructor(
    public readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Serves the state machine `stateMachineArn`, whose executions play `run`. */
export async function startLocalStepFunctions(
  stateMachineArn: string,
  run: ScriptedRun,
): Promise<LocalStepFunctions> {
  const started: StartedExecution[] = [];
  const actions: string[] = [];
  const executions = new Map<string, Execution>();
  const byMapRun = new Map<string, Execution>();
  const now = () => Math.floor(Date.now() / 1000);

  const find = (arn: unknown): Execution => {
    const execution = typeof arn === 'string' ? executions.get(arn) : undefined;
    if (execution === undefined)
      throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return execution;
  };
  const ended = (execution: Execution) => execution.step >= run.steps.length;

  const handlers: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution(body) {
      if (body.stateMachineArn !== stateMachineArn)
        throw new ServiceError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`,
        );
      const name = typeof body.name === 'string' ? body.name : randomUUID();
      if (!/^[\w-]{1,80}$/.test(name)) throw new ServiceError('InvalidName', `Invalid Name: '${name}'`);
      const input = typeof body.input === 'string' ? body.input : '{}';
      const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      if (executions.has(arn))
        throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
      const execution: Execution = {
        arn,
        mapRunArn: `${stateMachineArn.replace(':stateMachine:', ':mapRun:')}/Reanalysis:${randomUUID()}`,
        stateMachineArn,
        name,
        input,
        startDate: now(),
        step: 0,
      };
      executions.set(arn, execution);
      byMapRun.set(execution.mapRunArn, execution);
      started.push({ stateMachineArn, name, input: JSON.parse(input) });
      return { executionArn: arn, startDate: execution.startDate };
    },
    DescribeExecution(body) {
      const execution = find(body.executionArn);
      const status = ended(execution) ? run.status : 'RUNNING';
      return {
        executionArn: execution.arn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status,
        startDate: execution.startDate,
        input: execution.input,
        ...(status === 'RUNNING' ? {} : { stopDate: now() }),
        ...(status === 'SUCCEEDED'
          ? {
              output: JSON.stringify({
                MapRunArn: execution.mapRunArn,
                ResultWriterDetails: {
                  Bucket: run.resultBucket,
                  Key: `reanalysis/${execution.name}/manifest.json`,
                },
              }),
            }
          : {}),
        ...(status === 'FAILED'
          ? {
              error: 'States.ExceedToleratedFailureThreshold',
              cause: 'The specified tolerated failure threshold was exceeded',
            }
          : {}),
      };
    },
    ListMapRuns(body) {
      const execution = find(body.executionArn);
      return {
        mapRuns: [
          {
            executionArn: execution.arn,
            mapRunArn: execution.mapRunArn,
            stateMachineArn: execution.stateMachineArn,
            startDate: execution.startDate,
          },
        ],
      };
    },
    DescribeMapRun(body) {
      const execution = typeof body.mapRunArn === 'string' ? byMapRun.get(body.mapRunArn) : undefined;
      if (execution === undefined)
        throw new ServiceError('ResourceNotFound', `Resource not found: '${String(body.mapRunArn)}'`);
      const itemCounts = run.steps[Math.min(execution.step, run.steps.length - 1)] ?? counts({});
      execution.step++;
      return {
        mapRunArn: execution.mapRunArn,
        executionArn: execution.arn,
        status: ended(execution) ? run.status : 'RUNNING',
        startDate: execution.startDate,
        maxConcurrency: 10,
        toleratedFailurePercentage: 5,
        toleratedFailureCount: 0,
        itemCounts,
        executionCounts: itemCounts,
      };
    },
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const action = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
      actions.push(action);
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      };
      const handle = handlers[action];
      if (request.method !== 'POST' || handle === undefined) {
        reply(400, { __type: 'UnknownOperationException', message: `unknown operation ${target}` });
        return;
      }
      try {
        reply(
          200,
          handle(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>),
        );
      } catch (error) {
        if (error instanceof ServiceError) reply(400, { __type: error.type, message: error.message });
        else reply(400, { __type: 'SerializationException', message: String(error) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    started,
    actions,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
