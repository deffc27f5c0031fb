/**
 * Hosting of the built dashboard (`npm run build:dashboard` → `dist/dashboard/`): a private S3
 * bucket behind a CloudFront distribution.
 *
 * - The bucket blocks all public access, requires TLS, is encrypted (SSE-S3) and has no website
 *   hosting: CloudFront reads it through an origin access control (SigV4-signed requests, allowed
 *   by a bucket-policy statement scoped to this distribution).
 * - Viewers are redirected to HTTPS; every answer carries security headers (HSTS, nosniff,
 *   `X-Frame-Options: DENY`, `Referrer-Policy`, a Content Security Policy that fits the built
 *   dashboard: its own scripts and styles only, no inline code, `data:` images for the favicon).
 * - A single-page app: `/` serves `index.html`, and a missing path (S3 answers 403 without
 *   `s3:ListBucket`, 404 with it) serves `index.html` too.
 * - Viewer requests are logged to a log bucket of its own (CloudFront standard logging needs
 *   ACLs, which the stack's server-access-log bucket rightly has disabled); both buckets send
 *   their server access logs to the stack's access-log bucket.
 *
 * The files are uploaded by {@link DashboardHosting.publish}, called once the API exists: the
 * generated `config.json` (`{ "apiBase": <API URL>, "auth"?: { issuer, clientId, scope } }`) is what `dashboard/src/api.ts` reads.
 * Two steps because the API must in turn allow this distribution's origin in its CORS.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, CfnOutput, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { DashboardConfig } from '../../functions/api/contract.js';
import { acknowledgeNag, nagArn } from '../nag.js';
import { PROJECT_ROOT } from './relay-function.js';

/** Where `npm run build:dashboard` writes the dashboard (see `dashboard/vite.config.ts`). */
export const DASHBOARD_BUILD_DIR = join(PROJECT_ROOT, 'dist', 'dashboard');
/** The object the dashboard fetches to find the API (`dashboard/src/api.ts`). */
export const DASHBOARD_CONFIG_KEY = 'config.json';
/** The CDK bootstrap qualifier unless the app sets another (it names the asset bucket). */
const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';
/** How long CloudFront viewer logs are kept. */
const VIEWER_LOG_RETENTION = Duration.days(365);
/** HSTS max-age: two years, what browsers' preload guidance asks for. */
const HSTS_MAX_AGE = Duration.days(730);
/** Vite's content-hashed bundles: a changed file gets a new name, so browsers may keep one forever. */
const HASHED_ASSETS = 'assets/*';

export interface DashboardHostingProps {
  /** The stack's server-access-log bucket: receives the S3 access logs of the two buckets here. */
  readonly accessLogBucket: IBucket;
  /** The built dashboard; default {@link DASHBOARD_BUILD_DIR}. */
  readonly buildDir?: string;
}

export class DashboardHosting extends Construct {
  /** The private bucket holding the dashboard's files. */
  public readonly bucket: Bucket;
  /** CloudFront viewer (standard) logs. */
  public readonly viewerLogBucket: Bucket;
  public readonly distribution: Distribution;
  public readonly responseHeadersPolicy: ResponseHeadersPolicy;
  /** `https://<id>.cloudfront.net`: the origin the query API's CORS must allow. */
  public readonly origin: string;
  /** `https://<id>.cloudfront.net/` */
  public readonly url: string;
  /** Whether {@link buildDir} held a built dashboard at synth time (else a placeholder page is deployed). */
  public readonly built: boolean;
  private readonly buildDir: string;
  private published = false;
  /** The identity provider's origin once {@link publish} is given `auth` (the page calls its token endpoint). */
  private authOrigin: string | undefined;

  public constructor(scope: Construct, id: string, props: DashboardHostingProps) {
    super(scope, id);
    this.buildDir = props.buildDir ?? DASHBOARD_BUILD_DIR;
    this.built = existsSync(join(this.buildDir, 'index.html'));

    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'dashboard-site/',
      // Build output only, re-uploaded by every deployment; kept (not emptied) if the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.viewerLogBucket = new Bucket(this, 'ViewerLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logging writes with ACLs and supports SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'dashboard-viewer-logs/',
      lifecycleRules: [{ id: 'expire-viewer-logs', expiration: VIEWER_LOG_RETENTION }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'relay-audit dashboard: HSTS, nosniff, no framing, no referrer, strict CSP',
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: HSTS_MAX_AGE,
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        contentSecurityPolicy: {
          // Lazy: publish() may add the identity provider's origin after the policy is made.
          contentSecurityPolicy: Lazy.string({ produce: () => this.contentSecurityPolicy() }),
          override: true,
        },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'relay-audit dashboard',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
      },
      // A single-page app: any path it does not have (403 from S3 without ListBucket) is the app.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(10),
      })),
      enableLogging: true,
      logBucket: this.viewerLogBucket,
      logFilePrefix: 'cloudfront/',
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/`;

    new CfnOutput(this, 'Url', {
      value: this.url,
      description: 'URL of the relay-audit dashboard (CloudFront)',
    });
    this.acknowledgeDistributionFindings();
  }

  /**
   * Uploads the dashboard and a generated `config.json` pointing at the API. Hashed bundles go
   * first (cached for a year); `index.html` and `config.json` follow (revalidated on every load),
   * then CloudFront's cached copies of those two are invalidated, so a new version is served at once
   * and never references a bundle that is not there yet.
   */
  public publish(config: DashboardConfig): void {
    if (this.published) throw new Error(`${this.node.path}: publish() was already called`);
    this.published = true;
    if (config.auth !== undefined) this.authOrigin = new URL(config.auth.issuer).origin;

    const logGroup = new LogGroup(this, 'DeploymentLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role instead of the default one with AWSLambdaBasicExecutionRole (logs:* on *).
    const role = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of the CDK bucket deployment that uploads the relay-audit dashboard',
    });
    logGroup.grantWrite(role);

    const common = {
      destinationBucket: this.bucket,
      role,
      logGroup,
      // Old bundles stay: a page loaded before a deployment can still fetch the bundles it names.
      prune: false,
      memoryLimit: 512,
    } as const;
    const files = this.siteSource();
    const assets = new BucketDeployment(this, 'DeployAssets', {
      ...common,
      sources: [files],
      exclude: ['*'],
      include: [HASHED_ASSETS],
      cacheControl: [
        CacheControl.setPublic(),
        CacheControl.maxAge(Duration.days(365)),
        CacheControl.immutable(),
      ],
    });
    const pages = new BucketDeployment(this, 'DeployPages', {
      ...common,
      sources: [
        files,
        Source.jsonData(DASHBOARD_CONFIG_KEY, {
          apiBase: config.apiBase,
          ...(config.auth === undefined
            ? {}
            : {
                auth: {
                  issuer: config.auth.issuer,
                  clientId: config.auth.clientId,
                  scope: config.auth.scope,
                },
              }),
        }),
      ],
      exclude: [HASHED_ASSETS],
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/index.html', `/${DASHBOARD_CONFIG_KEY}`, '/'],
    });
    pages.node.addDependency(assets);
    this.acknowledgeDeploymentFindings(role);
  }

  /** The built dashboard, or (on a clone that never built it) a page saying how to build it. */
  private siteSource(): ISource {
    if (this.built) return Source.asset(this.buildDir);
    Annotations.of(this).addWarningV2(
      'relay-audit:dashboardNotBuilt',
      `${this.buildDir} has no index.html: a placeholder page is deployed instead of the dashboard. ` +
        'Run "npm run build:dashboard" (or "npm run build") before "npx cdk deploy".',
    );
    return Source.data(
      'index.html',
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>relay-audit</title></head>' +
        '<body><h1>The relay-audit dashboard was not built</h1><p>Run <code>npm run build:dashboard</code> ' +
        'in the project folder, then <code>npx cdk deploy</code> again.</p></body></html>',
    );
  }

  /**
   * The dashboard loads its own bundle and stylesheet (no inline script or style: the build emits
   * none), a `data:` SVG favicon, and fetches `/config.json` plus the API — and, when it signs in,
   * the identity provider's discovery document and token endpoint (on the issuer's origin, as with
   * Entra ID's `login.microsoftonline.com`).
   *
   * The API is named by its host pattern (any API Gateway endpoint of this region) rather than by
   * its id: the API's CORS names this distribution, so the distribution cannot also name the API —
   * CloudFormation would see a circular dependency.
   */
  private contentSecurityPolicy(): string {
    const stack = Stack.of(this);
    const apiHosts = `https://*.execute-api.${stack.region}.${stack.urlSuffix}`;
    // Dashboard uploads: a presigned POST to the data bucket (virtual-hosted address).
    const uploadHosts = `https://*.s3.${stack.region}.${stack.urlSuffix}`;
    return [
      "default-src 'self'",
      `connect-src 'self' ${apiHosts} ${uploadHosts}${this.authOrigin === undefined ? '' : ` ${this.authOrigin}`}`,
      "img-src 'self' data:",
      "style-src 'self'",
      "script-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; ');
  }

  private acknowledgeDistributionFindings(): void {
    acknowledgeNag(
      this.distribution,
      'AwsSolutions-CFR4',
      'The distribution serves on its *.cloudfront.net name with the CloudFront default certificate, whose ' +
        'security policy CloudFront fixes (TLSv1 minimum); a TLSv1.2_2021 minimum needs a custom domain with its ' +
        'own ACM certificate, which relay-audit leaves optional. Browsers negotiate TLS 1.2/1.3 regardless.',
    );
    acknowledgeNag(
      this.distribution,
      'AwsSolutions-CFR1',
      'The distribution serves only the static dashboard files (no data): the findings stay behind the query ' +
        "API's IAM or JWT authorisation, so where a viewer is located does not change what they can read.",
    );
    acknowledgeNag(
      this.distribution,
      'AwsSolutions-CFR2',
      'Static files only, read-only methods (GET/HEAD), no server-side code at the edge; the API that serves ' +
        'data has its own authorisation and throttling. A web ACL can be attached if the organisation requires one.',
    );
  }

  /**
   * The bucket deployment's Lambda (a singleton provided by aws-cdk-lib, running under the role
   * made here) copies the files from the CDK asset bucket and invalidates the distribution; its
   * grants and runtime are chosen by aws-cdk-lib.
   */
  private acknowledgeDeploymentFindings(role: Role): void {
    const stack = Stack.of(this);
    const qualifier = stack.synthesizer.bootstrapQualifier ?? DEFAULT_BOOTSTRAP_QUALIFIER;
    const assetBucket = `arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>`;
    const reason =
      'Grants generated by aws-cdk-lib BucketDeployment for its deploy-time copy: read the CDK asset bucket, ' +
      'read/write/delete objects of the dashboard bucket only (object names are the build output, known at ' +
      'deploy time), and create/get CloudFront invalidations (that API has no resource-level scoping).';
    for (const finding of [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      `Resource::${nagArn(this.bucket)}/*`,
      `Resource::${assetBucket}/*`,
      'Resource::*',
    ]) {
      acknowledgeNag(role, `AwsSolutions-IAM5[${finding}]`, reason);
    }
    const handler = stack.node.children.find(
      (child): child is LambdaFunction => child instanceof LambdaFunction && child.role === role,
    );
    if (!handler) throw new Error(`${this.node.path}: the bucket deployment handler was not found`);
    acknowledgeNag(
      handler,
      'AwsSolutions-L1',
      'The runtime of the BucketDeployment handler (a Python function with the AWS CLI layer) is chosen by ' +
        'aws-cdk-lib and moves with its upgrades; it runs only during deployments, never on viewer requests.',
    );
  }
}
