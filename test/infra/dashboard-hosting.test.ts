/**
 * Template assertions for the dashboard hosting (issue 4, part 3): a private bucket read by
 * CloudFront through an origin access control, HTTPS only, security headers with a CSP the built
 * dashboard satisfies, SPA fallback, viewer logs, the dashboard files plus a generated
 * `config.json` pointing at the query API, the API's CORS origin, the URL output, the placeholder
 * when the dashboard was never built, and cdk-nag. Lambda bundling is skipped (not needed here).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DASHBOARD_BUILD_DIR,
  DASHBOARD_CONFIG_KEY,
  DashboardHosting,
} from '../../lib/constructs/dashboard-hosting.js';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { cloudFormationText } from '../support/cloudformation-text.js';
import { buildApp } from './synth-app.js';

/** Vite's command line, as `npm run build:dashboard` runs it. */
const VITE = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const ORIGIN = 'https://audit.contoso.com';

let built: RelayAuditApp;
let template: Template;
let report: ReturnType<AwsSolutionsChecks['validateScope']>;

beforeAll(() => {
  // cdk-nag registered as `npx cdk synth` does: an unacknowledged error makes synth() throw here.
  built = buildApp(NO_BUNDLING, true);
  built.app.synth();
  template = Template.fromStack(built.stack);
  report = new AwsSolutionsChecks().validateScope(built.app);
});

function logicalIdOf(construct: { node: { defaultChild?: unknown } }): string {
  return built.stack.getLogicalId(
    construct.node.defaultChild as Parameters<typeof built.stack.getLogicalId>[0],
  );
}

function resourcesOf(t: Template, type: string): [string, Resource][] {
  return Object.entries(t.findResources(type)) as [string, Resource][];
}

function distributionConfig(): Record<string, unknown> {
  const [[, distribution]] = resourcesOf(template, 'AWS::CloudFront::Distribution') as [[string, Resource]];
  return distribution.Properties?.DistributionConfig as Record<string, unknown>;
}

function cspDirectives(t: Template = template): Map<string, string[]> {
  const [[, policy]] = resourcesOf(t, 'AWS::CloudFront::ResponseHeadersPolicy') as [[string, Resource]];
  const config = policy.Properties?.ResponseHeadersPolicyConfig as {
    SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: unknown } };
  };
  const csp = cloudFormationText(config.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
  return new Map(
    csp.split(';').map((directive) => {
      const [name = '', ...sources] = directive.trim().split(/\s+/);
      return [name, sources] as const;
    }),
  );
}

describe('site bucket', () => {
  it('is private, encrypted, TLS-only, logged, and not a website', () => {
    const siteId = logicalIdOf(built.stack.dashboard.bucket);
    const [, site] = resourcesOf(template, 'AWS::S3::Bucket').find(([id]) => id === siteId) as [
      string,
      Resource,
    ];
    expect(site.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.any(String) } },
    });
    expect(site.Properties?.WebsiteConfiguration).toBeUndefined();
  });

  it('lets only this distribution read it (origin access control), and nothing over plain HTTP', () => {
    const siteId = logicalIdOf(built.stack.dashboard.bucket);
    const distributionId = logicalIdOf(built.stack.dashboard.distribution);
    const [, policy] = resourcesOf(template, 'AWS::S3::BucketPolicy').find(
      ([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: siteId }),
    ) as [string, Resource];
    const document = policy.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] };
    const statements = document.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({
      Action: 's3:GetObject',
      Principal: { Service: 'cloudfront.amazonaws.com' },
    });
    expect(
      cloudFormationText(
        (allows[0]?.Condition as { StringEquals: Record<string, unknown> } | undefined)?.StringEquals[
          'AWS:SourceArn'
        ],
      ),
    ).toMatch(new RegExp(`:distribution/<<${distributionId}>>$`));
  });
});

describe('distribution', () => {
  it('reads the bucket through an origin access control (SigV4, always signed)', () => {
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
    const [oacId] = Object.keys(template.findResources('AWS::CloudFront::OriginAccessControl'));
    const [origin, ...others] = distributionConfig().Origins as Record<string, unknown>[];
    expect(others).toEqual([]);
    expect(origin).toMatchObject({
      DomainName: { 'Fn::GetAtt': [logicalIdOf(built.stack.dashboard.bucket), 'RegionalDomainName'] },
      OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
    });
    expect(origin?.CustomOriginConfig).toBeUndefined();
  });

  it('redirects HTTP to HTTPS, serves index.html at the root and for unknown paths (SPA)', () => {
    expect(distributionConfig()).toMatchObject({
      DefaultRootObject: 'index.html',
      DefaultCacheBehavior: {
        ViewerProtocolPolicy: 'redirect-to-https',
        AllowedMethods: ['GET', 'HEAD'],
        ResponseHeadersPolicyId: { Ref: logicalIdOf(built.stack.dashboard.responseHeadersPolicy) },
      },
      CustomErrorResponses: [
        { ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/index.html' },
        { ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/index.html' },
      ],
    });
  });

  it('logs viewer requests to its own log bucket, which accepts CloudFront log delivery', () => {
    const logsId = logicalIdOf(built.stack.dashboard.viewerLogBucket);
    expect(distributionConfig().Logging).toMatchObject({
      Bucket: { 'Fn::GetAtt': [logsId, 'RegionalDomainName'] },
    });
    const [, logs] = resourcesOf(template, 'AWS::S3::Bucket').find(([id]) => id === logsId) as [
      string,
      Resource,
    ];
    expect(logs.Properties).toMatchObject({
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 365 })] },
    });
  });

  it('exports the dashboard URL', () => {
    const outputs = template.findOutputs('*', {
      Description: Match.stringLikeRegexp('dashboard \\(CloudFront\\)'),
    });
    const values = Object.values(outputs) as { Value: unknown }[];
    expect(values).toHaveLength(1);
    expect(cloudFormationText(values[0]?.Value)).toBe(
      `https://<<${logicalIdOf(built.stack.dashboard.distribution)}.DomainName>>/`,
    );
  });
});

describe('security headers', () => {
  it('sends HSTS, nosniff, X-Frame-Options DENY and a referrer policy, overriding the origin', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          StrictTransportSecurity: {
            AccessControlMaxAgeSec: 63_072_000,
            IncludeSubdomains: true,
            Override: true,
          },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          ContentSecurityPolicy: { Override: true },
        },
      },
    });
  });

  it('has a CSP of own scripts and styles only, API Gateway as the only other connection, no framing', () => {
    const csp = cspDirectives();
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('img-src')).toEqual(["'self'", 'data:']);
    expect(csp.get('connect-src')).toEqual([
      "'self'",
      'https://*.execute-api.<<AWS::Region>>.<<AWS::URLSuffix>>',
      // Dashboard uploads: the presigned POST to the data bucket.
      'https://*.s3.<<AWS::Region>>.<<AWS::URLSuffix>>',
    ]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    for (const sources of csp.values()) {
      expect(sources).not.toContain("'unsafe-inline'");
      expect(sources).not.toContain("'unsafe-eval'");
    }
  });

  it('is satisfied by the built dashboard: no inline script or style, same-origin bundles', {
    timeout: 120_000,
  }, () => {
    // `npm ci` builds it (prepare); a checkout tested without that builds it here, never skips.
    if (!existsSync(join(DASHBOARD_BUILD_DIR, 'index.html'))) {
      execFileSync(process.execPath, [VITE, 'build', '--config', 'dashboard/vite.config.ts'], {
        stdio: 'ignore',
      });
    }
    const html = readFileSync(join(DASHBOARD_BUILD_DIR, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes = '', body = ''] of scripts) {
      expect(body.trim(), 'inline script').toBe('');
      expect(attributes).toMatch(/\ssrc="\/[^/]/);
    }
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    for (const [, href = ''] of html.matchAll(/<link\b[^>]*\bhref="([^"]*)"/g)) {
      expect(href).toMatch(/^(\/[^/]|data:)/);
    }
  });
});

/** The staged jsonData asset of config.json: the API URL with deploy-time markers for its tokens. */
function stagedConfig(app: RelayAuditApp): Record<string, unknown> {
  const asset = app.app.node
    .findAll()
    .filter((c) => c.node.path.includes('/Dashboard/DeployPages/'))
    .map((c) => (c as { assetPath?: string }).assetPath)
    .filter((path): path is string => path !== undefined)
    .map((path) => join(app.app.outdir, path))
    .find((path) => existsSync(join(path, DASHBOARD_CONFIG_KEY)));
  expect(asset, 'staged config.json asset').toBeDefined();
  return JSON.parse(readFileSync(join(asset as string, DASHBOARD_CONFIG_KEY), 'utf8')) as Record<
    string,
    unknown
  >;
}

describe('deployment of the dashboard files', () => {
  function deployments(): [string, Resource][] {
    return resourcesOf(template, 'Custom::CDKBucketDeployment');
  }

  it('uploads hashed bundles (immutable) and then the pages with a config.json naming the API URL', () => {
    const siteRef = { Ref: logicalIdOf(built.stack.dashboard.bucket) };
    const apiId = logicalIdOf(built.stack.queryApi.api);
    const found = deployments();
    expect(found).toHaveLength(2);
    const [assetsId, assets] = found.find(
      ([, d]) => JSON.stringify(d.Properties?.Include) === '["assets/*"]',
    ) as [string, Resource];
    const [, pages] = found.find(([id]) => id !== assetsId) as [string, Resource];
    expect(assets.Properties).toMatchObject({
      DestinationBucketName: siteRef,
      Exclude: ['*'],
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
    });
    expect(pages.Properties).toMatchObject({
      DestinationBucketName: siteRef,
      Exclude: ['assets/*'],
      SystemMetadata: { 'cache-control': 'no-cache' },
      DistributionId: { Ref: logicalIdOf(built.stack.dashboard.distribution) },
      DistributionPaths: expect.arrayContaining(['/index.html', `/${DASHBOARD_CONFIG_KEY}`]),
    });
    expect(pages.DependsOn).toEqual(expect.arrayContaining([assetsId]));
    // Source.jsonData: the API's id (and region) are substituted into config.json at deploy time.
    const markers = JSON.stringify(pages.Properties?.SourceMarkers);
    expect(markers).toContain(JSON.stringify({ Ref: apiId }));
    expect(markers).toContain('AWS::Region');
  });

  it('writes config.json as { apiBase: <the query API URL> }', () => {
    const config = stagedConfig(built);
    expect(Object.keys(config)).toEqual(['apiBase']);
    expect(config.apiBase).toMatch(/^https:\/\/<<marker:0xbaba:0>>\.execute-api\.<<marker:0xbaba:1>>\./);
  });

  it('runs the copy under its own role, without the AWS managed Lambda policy', () => {
    const roleId = built.stack.getLogicalId(
      built.stack.dashboard.node.findChild('DeploymentRole').node.defaultChild as Parameters<
        typeof built.stack.getLogicalId
      >[0],
    );
    const handlers = resourcesOf(template, 'AWS::Lambda::Function').filter(
      ([, fn]) => JSON.stringify(fn.Properties?.Role) === JSON.stringify({ 'Fn::GetAtt': [roleId, 'Arn'] }),
    );
    expect(handlers).toHaveLength(1);
    const [, role] = resourcesOf(template, 'AWS::IAM::Role').find(([id]) => id === roleId) as [
      string,
      Resource,
    ];
    expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
  });
});

describe('sign-in of the cloud dashboard', () => {
  const ISSUER = 'https://login.microsoftonline.com/tenant-id/v2.0';

  it('adds auth to config.json and the issuer to connect-src when dashboardClientId is set', () => {
    const signIn = buildApp({
      ...NO_BUNDLING,
      jwtIssuer: ISSUER,
      jwtAudience: 'api://relay-audit',
      dashboardClientId: '11111111-2222-3333-4444-555555555555',
      dashboardScope: 'api://relay-audit/access',
    });
    signIn.app.synth();
    const config = stagedConfig(signIn);
    expect(Object.keys(config)).toEqual(['apiBase', 'auth']);
    expect(config.auth).toEqual({
      issuer: ISSUER,
      clientId: '11111111-2222-3333-4444-555555555555',
      scope: 'api://relay-audit/access',
    });
    const t = Template.fromStack(signIn.stack);
    expect(cspDirectives(t).get('connect-src')).toEqual([
      "'self'",
      'https://*.execute-api.<<AWS::Region>>.<<AWS::URLSuffix>>',
      'https://*.s3.<<AWS::Region>>.<<AWS::URLSuffix>>',
      'https://login.microsoftonline.com',
    ]);
  });

  it('leaves auth out with a JWT API but no dashboardClientId', () => {
    const jwtOnly = buildApp({ ...NO_BUNDLING, jwtIssuer: ISSUER, jwtAudience: 'api://relay-audit' });
    jwtOnly.app.synth();
    expect(Object.keys(stagedConfig(jwtOnly))).toEqual(['apiBase']);
  });
});

describe('query API CORS', () => {
  it('allows the CloudFront dashboard origin by default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [
          {
            'Fn::Join': [
              '',
              ['https://', { 'Fn::GetAtt': [logicalIdOf(built.stack.dashboard.distribution), 'DomainName'] }],
            ],
          },
        ],
        AllowMethods: ['GET', 'POST', 'OPTIONS'],
      },
    });
  });

  it('allows the configured dashboardOrigin instead when one is set', () => {
    const t = Template.fromStack(buildApp({ ...NO_BUNDLING, dashboardOrigin: ORIGIN }).stack);
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: { AllowOrigins: [ORIGIN] } });
  });
});

describe('without a built dashboard', () => {
  it('deploys a placeholder page and warns to run npm run build:dashboard', () => {
    // Prepare
    const stack = new Stack(new App(), 'Placeholder');
    const hosting = new DashboardHosting(stack, 'Dashboard', {
      accessLogBucket: new Bucket(stack, 'AccessLogs'),
      buildDir: join(DASHBOARD_BUILD_DIR, 'does-not-exist'),
    });
    // Act
    hosting.publish({ apiBase: 'https://example.execute-api.eu-west-1.amazonaws.com/' });
    // Assess
    expect(hosting.built).toBe(false);
    Annotations.fromStack(stack).hasWarning(
      '/Placeholder/Dashboard',
      Match.stringLikeRegexp('npm run build:dashboard'),
    );
    Template.fromStack(stack).resourceCountIs('Custom::CDKBucketDeployment', 2);
  });

  it('refuses a second publish', () => {
    const stack = new Stack(new App(), 'Twice');
    const hosting = new DashboardHosting(stack, 'Dashboard', { accessLogBucket: new Bucket(stack, 'Logs') });
    hosting.publish({ apiBase: 'https://a.example/' });
    expect(() => hosting.publish({ apiBase: 'https://b.example/' })).toThrow(/already/);
  });
});

describe('cdk-nag', () => {
  it('passes the AwsSolutions checks with no unacknowledged error or warning', () => {
    expect(
      report.violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? ''}`),
      ),
    ).toEqual([]);
  });

  it('acknowledges the default-certificate TLS finding with its reason, on the distribution', () => {
    const acknowledged = built.stack.dashboard.distribution.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    const [, reason] = acknowledged.find(([id]) => id.endsWith('AwsSolutions-CFR4')) ?? [];
    expect(reason).toMatch(/default certificate.*custom domain/);
  });
});
