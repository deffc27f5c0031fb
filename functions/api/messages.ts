/**
 * The transport-neutral request and response of the query API: what both adapters (API Gateway
 * payload v2 in Lambda, node:http locally) translate to and from.
 */

/** One request, already decoded: query values are URL-decoded, header names lower-case. */
export interface ApiRequest {
  method: string;
  /** Path without query string, e.g. `/findings/0123…`. */
  path: string;
  /** Query parameters; a repeated parameter arrives comma-joined, as API Gateway delivers it. */
  query: Readonly<Record<string, string | undefined>>;
  /**
   * Names of the query parameters given more than once, from what the transport really received
   * (the raw query string): `query` alone cannot tell `name=a&name=b` from `name=a%2Cb`.
   */
  repeatedParameters?: readonly string[];
  headers: Readonly<Record<string, string | undefined>>;
  /** Who is signed in (the JWT's user, the IAM caller's ARN); absent without sign-in. */
  caller?: string;
  /** Correlates the log line and error bodies with the caller's request (API Gateway request id). */
  requestId?: string;
}

/** One response. The body is complete: API Gateway returns a Lambda's response in one piece. */
export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}
