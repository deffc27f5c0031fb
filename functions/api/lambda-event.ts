/**
 * Translating API Gateway HTTP API events (payload format 2.0) to and from the API's own request
 * and response. The event is validated with zod: only the fields the API reads, loosely, so new
 * fields API Gateway adds never break the function.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { InvalidEventError } from '../core/kernel/errors.js';
import { issueText } from '../core/kernel/issues.js';
import type { ApiRequest, ApiResponse } from './messages.js';
import { repeatedParameters } from './params.js';

const StringMap = z.record(z.string(), z.string().optional());

/** The parts of `APIGatewayProxyEventV2` the API uses. */
export const HttpApiEvent = z.looseObject({
  version: z.literal('2.0'),
  rawPath: z.string().startsWith('/'),
  /** Always sent (empty without a query): the only place a repeated parameter still shows. */
  rawQueryString: z.string(),
  headers: StringMap.optional(),
  queryStringParameters: StringMap.optional(),
  requestContext: z.looseObject({
    requestId: z.string().optional(),
    http: z.looseObject({ method: z.string().min(1) }),
    authorizer: z
      .looseObject({
        jwt: z.looseObject({ claims: z.record(z.string(), z.unknown()).optional() }).optional(),
        iam: z.looseObject({ userArn: z.string().optional() }).optional(),
      })
      .optional(),
  }),
});
export type HttpApiEvent = z.infer<typeof HttpApiEvent>;

/**
 * The request an event carries. API Gateway has already URL-decoded the query values and joined
 * a repeated parameter's values with commas, so repeats are read from the raw query string;
 * header names arrive lower-case.
 */
export function requestFromEvent(event: unknown): ApiRequest {
  const parsed = HttpApiEvent.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(
      `not an API Gateway HTTP API (payload 2.0) event: ${issueText(parsed.error)}`,
      {
        cause: parsed.error,
      },
    );
  }
  const data = parsed.data;
  const caller = callerOf(data.requestContext.authorizer);
  const repeated = repeatedParameters(new URLSearchParams(data.rawQueryString));
  return {
    ...(caller === undefined ? {} : { caller }),
    method: data.requestContext.http.method,
    path: data.rawPath,
    query: data.queryStringParameters ?? {},
    ...(repeated.length === 0 ? {} : { repeatedParameters: repeated }),
    headers: data.headers ?? {},
    ...(data.requestContext.requestId === undefined ? {} : { requestId: data.requestContext.requestId }),
  };
}

/** The signed-in user API Gateway's authoriser vouched for: the JWT's user name, or the IAM caller. */
function callerOf(authorizer: HttpApiEvent['requestContext']['authorizer']): string | undefined {
  const claims = authorizer?.jwt?.claims ?? {};
  for (const claim of ['preferred_username', 'upn', 'email', 'sub']) {
    const value = claims[claim];
    if (typeof value === 'string' && value !== '') return value;
  }
  return authorizer?.iam?.userArn;
}

/** The Lambda result API Gateway turns into the HTTP response (text body, never base64). */
export function resultFromResponse(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.status,
    headers: response.headers,
    body: response.body,
    isBase64Encoded: false,
  };
}
