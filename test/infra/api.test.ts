/**
 * Template assertions for the query API (issue 3, part 4): the HTTP API and its routes (the same
 * route table the handler serves), IAM authorisation by default, the JWT authoriser and CORS when
 * configured, the stage's throttling and JSON access logs, a read-only function, the alarms, the
 * URL output. (The bundle itself is built and run in test/integration/api-bundle.test.ts.)
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../functions/api/route-table.js';
import { QUERY_API_THROTTLE, QUERY_API_TIMEOUT } from '../../lib/constructs/query-api.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const ISSUER = 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0';
const AUDIENCE = 'api://relay-audit';
const ORIGIN = 'https://audit.contoso.com';
/** Template assertions need no bundle: esbuild is skipped (test/integration/api-bundle.test.ts bundles). */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const ROUTE_KEYS = API_ROUTES.map((route) => `${route.method} ${route.path}`).sort();

let built: RelayAuditApp;
let template: Template;

function logicalIdOf(app: RelayAuditApp, construct: { node: { defaultChild?: unknown } }): string {
  return app.stack.getLogicalId(construct.node.defaultChild as Parameters<typeof app.stack.getLogicalId>[0]);
}

function resourcesOf(t: Template, type: string): Resource[] {
  return Object.values(t.findResources(type)) as Resource[];
}

beforeAll(() => {
  built = buildApp(NO_BUNDLING);
  template = Template.fromStack(built.stack);
});

describe('HTTP API', () => {
  it('is one HTTP API with exactly the routes of the route table, all on the API function', () => {
    // Prepare
    const functionId = logicalIdOf(built, built.stack.queryApi.handler.function);
    // Assess
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const routes = resourcesOf(template, 'AWS::ApiGatewayV2::Route');
    expect(routes.map((route) => route.Properties?.RouteKey).sort()).toEqual(ROUTE_KEYS);
    expect(ROUTE_KEYS).toEqual(
      [
        'GET /findings',
        'GET /findings.csv',
        'GET /findings/{id}',
        'GET /readiness',
        'GET /sources',
        'GET /sources/{id}',
        'GET /summary',
        'POST /uploads',
      ].sort(),
    );
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
    });
  });

  it('authorises every route with IAM by default, and allows CORS from the CloudFront dashboard only', () => {
    for (const route of resourcesOf(template, 'AWS::ApiGatewayV2::Route')) {
      expect(route.Properties?.AuthorizationType, String(route.Properties?.RouteKey)).toBe('AWS_IAM');
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    const [api] = resourcesOf(template, 'AWS::ApiGatewayV2::Api');
    const distributionId = logicalIdOf(built, built.stack.dashboard.distribution);
    expect(api?.Properties?.CorsConfiguration).toMatchObject({
      AllowOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] }],
    });
  });

  it('lets only this API invoke the function', () => {
    const apiId = logicalIdOf(built, built.stack.queryApi.api);
    const permissions = resourcesOf(template, 'AWS::Lambda::Permission').filter(
      (permission) => permission.Properties?.Principal === 'apigateway.amazonaws.com',
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const permission of permissions) {
      expect(JSON.stringify(permission.Properties?.SourceArn)).toContain(apiId);
    }
  });

  it('deploys a throttled $default stage with JSON access logs in their own log group', () => {
    const logGroupId = logicalIdOf(built, built.stack.queryApi.accessLogs);
    const [stage] = resourcesOf(template, 'AWS::ApiGatewayV2::Stage');
    expect(stage?.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: QUERY_API_THROTTLE.rateLimit,
        ThrottlingBurstLimit: QUERY_API_THROTTLE.burstLimit,
      },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
    });
    const settings = stage?.Properties?.AccessLogSettings as { Format?: string } | undefined;
    const format = JSON.parse(settings?.Format ?? '{}') as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      caller: '$context.identity.userArn',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('exports the API URL', () => {
    const outputs = template.findOutputs('*', { Description: Match.stringLikeRegexp('query API') });
    const [output] = Object.values(outputs) as { Value: unknown }[];
    expect(JSON.stringify(output?.Value)).toContain(logicalIdOf(built, built.stack.queryApi.api));
    expect(JSON.stringify(output?.Value)).toContain('execute-api');
  });
});

describe('API function', () => {
  it('runs Node.js 22 on ARM64 within the API Gateway time limit, pointed at the table', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: QUERY_API_TIMEOUT.toSeconds(),
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: logicalIdOf(built, built.stack.queryApi.handler.logGroup) },
      },
      Environment: { Variables: { TABLE_NAME: { Ref: logicalIdOf(built, built.stack.table) } } },
    });
    expect(QUERY_API_TIMEOUT.toSeconds()).toBeLessThan(30);
  });

  it('may read the findings table and put objects under incoming/dashboard/ only: no table write, no queue, no topic', () => {
    // Prepare
    const roleId = logicalIdOf(built, built.stack.queryApi.handler.role);
    const tableId = logicalIdOf(built, built.stack.table);
    const statements = resourcesOf(template, 'AWS::IAM::Policy')
      .filter((policy) => JSON.stringify(policy.Properties?.Roles).includes(roleId))
      .flatMap(
        (policy) =>
          (policy.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
      );
    const actions = statements.flatMap((statement) => ([] as string[]).concat(statement.Action));
    // Assess
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
    // xray: the trace segments of active tracing (test/infra/tracing.test.ts).
    for (const action of actions)
      expect(action).toMatch(
        /^(dynamodb:(BatchGetItem|GetItem|Query)|logs:\w+|s3:PutObject|xray:Put(TraceSegments|TelemetryRecords))$/,
      );
    // Presigned POSTs act with this role: uploads go under incoming/dashboard/ and nowhere else.
    const s3Resources = statements
      .filter((s) => JSON.stringify(s.Action).includes('s3:'))
      .map((s) => JSON.stringify(s.Resource));
    expect(s3Resources).toHaveLength(1);
    expect(s3Resources[0]).toContain('/incoming/dashboard/*');
    const dynamoResources = JSON.stringify(
      statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:')).map((s) => s.Resource),
    );
    expect(dynamoResources).toContain(tableId);
    expect(dynamoResources).toContain('/index/*');
  });
});

describe('alarms', () => {
  it('alarm on API function errors and on 5xx answers, publishing to the alert topic', () => {
    const topicId = logicalIdOf(built, built.stack.alertTopic);
    const functionId = logicalIdOf(built, built.stack.queryApi.handler.function);
    const apiId = logicalIdOf(built, built.stack.queryApi.api);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      AlarmActions: [{ Ref: topicId }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5xx',
      Namespace: 'AWS/ApiGateway',
      Statistic: 'Sum',
      Dimensions: Match.arrayWith([{ Name: 'ApiId', Value: { Ref: apiId } }]),
      AlarmActions: [{ Ref: topicId }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });
});

describe('with the organisation identity provider and dashboard origin in context', () => {
  let configured: RelayAuditApp;
  let t: Template;

  beforeAll(() => {
    configured = buildApp({
      ...NO_BUNDLING,
      jwtIssuer: ISSUER,
      jwtAudience: AUDIENCE,
      dashboardOrigin: ORIGIN,
    });
    t = Template.fromStack(configured.stack);
  });

  it('authorises every route with a JWT authoriser for that issuer and audience', () => {
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: ISSUER, Audience: [AUDIENCE] },
    });
    const [authorizerId] = Object.keys(t.findResources('AWS::ApiGatewayV2::Authorizer'));
    const routes = resourcesOf(t, 'AWS::ApiGatewayV2::Route');
    expect(routes.map((route) => route.Properties?.RouteKey).sort()).toEqual(ROUTE_KEYS);
    for (const route of routes) {
      expect(route.Properties).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
  });

  it('answers CORS preflight for the dashboard origin only, for GET and POST (uploads), with the auth header', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [ORIGIN],
        AllowMethods: ['GET', 'POST', 'OPTIONS'],
        AllowHeaders: Match.arrayWith(['authorization']),
        ExposeHeaders: Match.arrayWith(['x-truncated', 'x-row-count']),
        MaxAge: 3600,
      },
    });
    // API Gateway answers the preflight itself: no OPTIONS route, so nothing is left unauthorised.
    expect(
      resourcesOf(t, 'AWS::ApiGatewayV2::Route').some((r) =>
        String(r.Properties?.RouteKey).startsWith('OPTIONS'),
      ),
    ).toBe(false);
  });

  it('passes the AwsSolutions checks with no unacknowledged error or warning', () => {
    const app = buildApp(
      { ...NO_BUNDLING, jwtIssuer: ISSUER, jwtAudience: AUDIENCE, dashboardOrigin: ORIGIN },
      true,
    );
    app.app.synth();
    const report = new AwsSolutionsChecks().validateScope(app.app);
    expect(
      report.violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? ''}`),
      ),
    ).toEqual([]);
  });
});

describe('with only a dashboard origin', () => {
  it('keeps IAM authorisation and adds CORS', () => {
    const t = Template.fromStack(buildApp({ ...NO_BUNDLING, dashboardOrigin: ORIGIN }).stack);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    for (const route of resourcesOf(t, 'AWS::ApiGatewayV2::Route')) {
      expect(route.Properties?.AuthorizationType).toBe('AWS_IAM');
    }
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: { AllowOrigins: [ORIGIN] } });
  });
});
