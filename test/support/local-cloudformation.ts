/**
 * A local CloudFormation endpoint that answers DescribeStacks as the service documents it (the
 * query protocol: a form-encoded POST, an XML `DescribeStacksResponse`, or an `ErrorResponse` with
 * `ValidationError` for a stack that does not exist), so `--stack` is tested without AWS.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LOCAL_REGION, S3RVER_CREDENTIALS } from './local-engines.js';

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export interface LocalCloudFormation {
  endpoint: string;
  client: CloudFormationClient;
  /** Stack names asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

function xmlText(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function describeStacksXml(name: string, outputs: Record<string, string>): string {
  const members = Object.entries(outputs)
    .map(
      ([key, value]) =>
        `<member><OutputKey>${xmlText(key)}</OutputKey><OutputValue>${xmlText(value)}</OutputValue></member>`,
    )
    .join('');
  return (
    `<DescribeStacksResponse xmlns="${NAMESPACE}"><DescribeStacksResult><Stacks><member>` +
    `<StackName>${xmlText(name)}</StackName>` +
    `<StackId>arn:aws:cloudformation:${LOCAL_REGION}:000000000000:stack/${xmlText(name)}/1</StackId>` +
    '<CreationTime>2026-12-01T00:00:00.000Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>' +
    `<Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult>` +
    '<ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></DescribeStacksResponse>'
  );
}

/** An error the service answers with (its `Code`, `Message` and HTTP status). */
export interface ServiceRefusal {
  code: string;
  message: string;
  status: number;
}

function errorXml(refusal: Pick<ServiceRefusal, 'code' | 'message'>): string {
  return (
    `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${xmlText(refusal.code)}</Code>` +
    `<Message>${xmlText(refusal.message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`
  );
}

function notFoundXml(name: string): string {
  return errorXml({ code: 'ValidationError', message: `Stack with id ${name} does not exist` });
}

/**
 * Serves DescribeStacks for `stacks` (stack name → outputs); a stack named in `refusals` is answered
 * with that error instead (expired credentials, access denied), as the service answers a caller it refuses.
 */
export async function startLocalCloudFormation(
  stacks: Record<string, Record<string, string>>,
  refusals: Record<string, ServiceRefusal> = {},
): Promise<LocalCloudFormation> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const name = form.get('StackName') ?? '';
      requests.push(name);
      const refusal = refusals[name];
      if (refusal !== undefined) {
        response.writeHead(refusal.status, { 'content-type': 'text/xml' });
        response.end(errorXml(refusal));
        return;
      }
      const outputs = form.get('Action') === 'DescribeStacks' ? stacks[name] : undefined;
      response.writeHead(outputs === undefined ? 400 : 200, { 'content-type': 'text/xml' });
      response.end(outputs === undefined ? notFoundXml(name) : describeStacksXml(name, outputs));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new CloudFormationClient({
    region: LOCAL_REGION,
    endpoint,
    credentials: S3RVER_CREDENTIALS,
  });
  return {
    endpoint,
    client,
    requests,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
