/**
 * The query API: an API Gateway HTTP API whose routes (from the same route table the handler
 * uses) all go to one Lambda that reads the findings table.
 *
 * - Authorisation on every route: AWS IAM (SigV4) by default; a JWT authoriser instead when the
 *   organisation's identity provider is configured (`jwtIssuer` + `jwtAudience`, e.g. Entra ID).
 * - CORS preflight is answered by API Gateway for the dashboard's origin only, when one is set.
 * - The `$default` stage throttles and writes JSON access logs to its own log group.
 * - The function may only read the table; `POST /uploads` signs upload grants (see dashboard-uploads.ts).
 */
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  type CorsPreflightOptions,
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_ROUTES, EXPORT_HEADERS } from '../../functions/api/route-table.js';
import { acknowledgeNag, nagArn } from '../nag.js';
import type { Settings } from '../settings.js';
import { RelayFunction } from './relay-function.js';
import { grantTableAccess } from './table-access.js';

/**
 * The function's time limit: below API Gateway's 30-second integration limit, so a slow request
 * ends as the function's own error rather than a gateway timeout with nothing in the logs.
 */
export const QUERY_API_TIMEOUT = Duration.seconds(25);
/** Steady requests per second across the API, and the burst above it (a dashboard and a few scripts). */
export const QUERY_API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/**
 * One JSON object per request in the access log (what cdk-nag's structured logging asks for):
 * who called (IAM principal or JWT subject), which route, the outcome and the timings.
 */
const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  caller: '$context.identity.userArn',
  subject: '$context.authorizer.claims.sub',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};

export interface QueryApiProps {
  readonly table: ITable;
  readonly settings: Pick<Settings, 'jwtIssuer' | 'jwtAudience' | 'dashboardOrigin'>;
}

export class QueryApi extends Construct {
  public readonly handler: RelayFunction;
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;
  /** The authoriser on every route (IAM or JWT). */
  public readonly authorizer: IHttpRouteAuthorizer;
  /** `https://<api-id>.execute-api.<region>.amazonaws.com/` */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    const { settings } = props;

    this.handler = new RelayFunction(this, 'Handler', {
      entry: 'functions/api/handler.ts',
      description: 'relay-audit query API: findings, summary and sources for the dashboard',
      timeout: QUERY_API_TIMEOUT,
      // I/O-bound (DynamoDB queries, JSON): a small function answers as fast as a large one.
      memorySize: 512,
      environment: { TABLE_NAME: props.table.tableName },
    });
    // Exactly the reads the store makes — no Scan, so "never a Scan" holds at the IAM level too.
    grantTableAccess(props.table, this.handler.role, 'api');

    this.authorizer =
      settings.jwtIssuer !== undefined && settings.jwtAudience !== undefined
        ? new HttpJwtAuthorizer('JwtAuthorizer', settings.jwtIssuer, { jwtAudience: settings.jwtAudience })
        : new HttpIamAuthorizer();

    this.api = new HttpApi(this, 'Api', {
      description: 'relay-audit query API (read-only)',
      createDefaultStage: false,
      defaultAuthorizer: this.authorizer,
      ...(settings.dashboardOrigin === undefined ? {} : { corsPreflight: corsFor(settings.dashboardOrigin) }),
    });
    const integration = new HttpLambdaIntegration('Query', this.handler.function);
    for (const route of API_ROUTES) {
      this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
    }

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: QUERY_API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.url = this.stage.url;
    new CfnOutput(this, 'Url', {
      value: this.url,
      description: 'Base URL of the relay-audit query API (GET /findings, /summary, /sources …)',
    });

    acknowledgeNag(
      this.handler.role,
      `AwsSolutions-IAM5[Resource::${nagArn(props.table)}/index/*]`,
      'The read grant names the findings table and its own GSIs (table-ARN/index/*); the query API reads ' +
        'findings by scenario, sender, recipient and source through those indexes, and writes nothing.',
    );
  }
}

/** Preflight answers for the dashboard's origin: GET only, with the headers a signed or bearer call sends. */
function corsFor(origin: string): CorsPreflightOptions {
  return {
    allowOrigins: [origin],
    allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
    // `authorization` for the JWT bearer token; the x-amz-* headers for SigV4-signed (IAM) calls.
    allowHeaders: [
      'authorization',
      'content-type',
      'x-amz-date',
      'x-amz-security-token',
      'x-amz-content-sha256',
    ],
    exposeHeaders: [...EXPORT_HEADERS],
    maxAge: Duration.hours(1),
  };
}
