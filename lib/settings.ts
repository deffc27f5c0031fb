/**
 * Deployment settings of the relay-audit stack, read from CDK context (`cdk.json` or
 * `npx cdk deploy -c key=value`) and validated once, here, so a typo fails the synth with a clear
 * message instead of deploying a half-configured pipeline.
 *
 * | Context key             | Default                 | Meaning                                                        |
 * |-------------------------|-------------------------|----------------------------------------------------------------|
 * | `retentionDays`         | 90                      | Days findings and source records are kept (DynamoDB TTL).      |
 * | `historyRetentionDays`  | 365                     | Days the findings history is kept in S3 (Athena, lifecycle).   |
 * | `incomingRetentionDays` | `retentionDays`         | Days an upload under `incoming/` is kept (S3 lifecycle): at    |
 * |                         |                         | least as long as its findings, so it can be re-analysed.       |
 * | `incomingInfrequentAccessDays` | 30               | Days after which an upload moves to S3 Standard-IA (≥ 30).     |
 * | `reanalysisMaxConcurrency` | 10                   | Objects the re-analysis state machine analyses at once.        |
 * | `reanalysisToleratedFailurePercent` | 5           | Share of objects that may fail before a re-analysis run fails. |
 * | `nightlySchedule`       | `cron(0 2 * * ? *)`     | EventBridge schedule of the nightly analysis (UTC).            |
 * | `acceptedDomains`       | —                       | Comma list of accepted domains, used when the bucket has no    |
 * |                         |                         | `config/accepted-domains.csv`; without either they are inferred.|
 * | `alertEmail`            | —                       | E-mail address subscribed to the alert topic.                  |
 * | `jwtIssuer`/`jwtAudience` | —                     | JWT authoriser of the query API (both or neither; e.g. Entra). |
 * | `dashboardOrigin`       | the CloudFront dashboard | Origin allowed by the query API's CORS (the dashboard's URL). |
 * | `dashboardClientId`     | —                       | Client id of the dashboard's SPA app registration: with        |
 * |                         |                         | `jwtIssuer`, the cloud dashboard signs in (OIDC code + PKCE).  |
 * | `dashboardScope`        | `openid`                | Scope the dashboard asks for, e.g. `api://<api-app-id>/access`;|
 * |                         |                         | needs `dashboardClientId`.                                     |
 * | `ingestMaxConcurrency`  | 10                      | Ingest invocations at once (SQS event source maximum           |
 * |                         |                         | concurrency, 2–1000): how hard a burst may write the table.    |
 * | `graphTenantId`,        | —                       | All three: the hourly Exchange Online message trace pull from  |
 * | `graphClientId`,        |                         | Microsoft Graph (tenant id, app registration's client id, name |
 * | `graphCertificateSecret`|                         | or ARN of the Secrets Manager secret with its certificate+key).|
 * | `graphTraceSchedule`    | `rate(1 hour)`          | EventBridge schedule of that pull.                             |
 * | `ingestMaxQueueAgeMinutes` | 15                   | Alarm when the oldest upload waiting in the ingest queue is    |
 * |                         |                         | older than this (1–1440 minutes).                              |
 */
import { z } from 'zod';
import { issueLine } from '../functions/core/kernel/issues.js';
import { parseAcceptedDomains } from '../functions/core/organisation/accepted-domains.js';
import { DEFAULT_RETENTION_DAYS } from '../functions/store/table-design.js';

/** Days of findings history kept in S3 by default: a year of fleet-wide history for Athena. */
export const DEFAULT_HISTORY_RETENTION_DAYS = 365;

/** The context keys read by {@link loadSettings}, in one place for the README and error messages. */
export const SETTING_KEYS = [
  'retentionDays',
  'historyRetentionDays',
  'incomingRetentionDays',
  'nightlySchedule',
  'acceptedDomains',
  'alertEmail',
  'jwtIssuer',
  'jwtAudience',
  'dashboardOrigin',
  'dashboardClientId',
  'dashboardScope',
  'ingestMaxConcurrency',
  'graphTenantId',
  'graphClientId',
  'graphCertificateSecret',
  'graphTraceSchedule',
  'ingestMaxQueueAgeMinutes',
  'incomingInfrequentAccessDays',
  'reanalysisMaxConcurrency',
  'reanalysisToleratedFailurePercent',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** A context value that may be absent: `-c key=` (empty string) means "not set". */
function optionalText() {
  return z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.string().trim().optional(),
  );
}

/** A whole number of days; `-c key=30` arrives as a string, `cdk.json` may hold a number. */
function days(defaultValue: number, max: number) {
  return z.coerce.number().int().min(1).max(max).default(defaultValue);
}

/** EventBridge cron: `cron(minutes hours day-of-month month day-of-week year)`. */
const CRON = /^cron\(\s*\S+(\s+\S+){5}\s*\)$/;
/** EventBridge rate: `rate(1 day)`, `rate(12 hours)`. */
const RATE = /^rate\(\s*\d+\s+(minute|minutes|hour|hours|day|days)\s*\)$/;

/** An EventBridge schedule expression, defaulting to `defaultValue`. */
function schedule(defaultValue: string) {
  return z
    .string()
    .trim()
    .refine((value) => CRON.test(value) || RATE.test(value), {
      message: 'must be an EventBridge schedule such as "cron(0 2 * * ? *)" or "rate(1 day)"',
    })
    .default(defaultValue);
}

/** A Graph tenant or client id: a GUID (the tenant may also be given as its domain name). */
function graphId(what: string, domainAllowed: boolean) {
  const pattern = domainAllowed
    ? /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/i
    : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  return optionalText().pipe(
    z
      .string()
      .regex(pattern, { message: `must be ${what}` })
      .optional(),
  );
}

const SettingsSchema = z
  .object({
    retentionDays: days(DEFAULT_RETENTION_DAYS, 3650),
    historyRetentionDays: days(DEFAULT_HISTORY_RETENTION_DAYS, 3650),
    // Default: as long as the findings (see the refinement below), so a re-analysis can read them.
    incomingRetentionDays: z.coerce.number().int().min(1).max(3650).optional(),
    // S3 Standard-IA takes objects 30 days old at the earliest; re-analysis reads them as they are.
    incomingInfrequentAccessDays: z.coerce.number().int().min(30).max(3650).default(30),
    // Objects re-analysed at once: each writes the table like one ingest invocation, so the same
    // order as ingestMaxConcurrency keeps a backfill and the day's uploads within the table's pace.
    reanalysisMaxConcurrency: z.coerce.number().int().min(1).max(1000).default(10),
    reanalysisToleratedFailurePercent: z.coerce.number().min(0).max(100).default(5),
    nightlySchedule: schedule('cron(0 2 * * ? *)'),
    acceptedDomains: optionalText().transform((value, ctx) => {
      if (value === undefined) return undefined;
      try {
        // Validated with the same parser the handler uses; passed on as text so `*.contoso.com` survives.
        parseAcceptedDomains(value, 'context "acceptedDomains"');
        return value
          .split(/[,;\s]+/)
          .filter((domain) => domain.length > 0)
          .join(',');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
    // A burst of uploads queues up instead of starting an invocation each: the table's write
    // capacity is shared, and the queue absorbs what waits (SQS allows 2 to 1000).
    ingestMaxConcurrency: z.coerce.number().int().min(2).max(1000).default(10),
    // Uploads normally wait seconds; a quarter of an hour means the pipeline is stuck or overrun.
    ingestMaxQueueAgeMinutes: z.coerce.number().int().min(1).max(1440).default(15),
    alertEmail: optionalText().pipe(z.email().optional()),
    jwtIssuer: optionalText().pipe(z.url({ protocol: /^https$/ }).optional()),
    jwtAudience: optionalText().transform((value) =>
      value === undefined
        ? undefined
        : value
            .split(',')
            .map((audience) => audience.trim())
            .filter((audience) => audience.length > 0),
    ),
    dashboardOrigin: optionalText().pipe(
      z
        .url({ protocol: /^https?$/ })
        .refine((value) => new URL(value).origin === value.replace(/\/$/, ''), {
          message:
            'must be an origin (scheme, host and optional port, no path), e.g. https://audit.contoso.com',
        })
        .transform((value) => value.replace(/\/$/, ''))
        .optional(),
    ),
    dashboardClientId: optionalText().pipe(
      z
        .string()
        .regex(/^[\w.:/-]{1,200}$/, {
          message: 'must be the client id of the dashboard app registration (letters, digits, - _ . : /)',
        })
        .optional(),
    ),
    dashboardScope: optionalText().pipe(
      z
        .string()
        .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, {
          message: 'must be OAuth scopes separated by single spaces, e.g. api://<api-app-id>/access',
        })
        .optional(),
    ),
    graphTenantId: graphId('the tenant id (a GUID) or its domain, e.g. contoso.onmicrosoft.com', true),
    graphClientId: graphId('the application (client) id of the app registration (a GUID)', false),
    graphCertificateSecret: optionalText().pipe(
      z
        .string()
        .regex(/^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[\w/+=.@-]{1,512}$/, {
          message: 'must be the name or ARN of a Secrets Manager secret',
        })
        .optional(),
    ),
    graphTraceSchedule: schedule('rate(1 hour)'),
  })
  .refine(
    (settings) =>
      [settings.graphTenantId, settings.graphClientId, settings.graphCertificateSecret].every(
        (value) => value === undefined,
      ) ||
      [settings.graphTenantId, settings.graphClientId, settings.graphCertificateSecret].every(
        (value) => value !== undefined,
      ),
    {
      message:
        'graphTenantId, graphClientId and graphCertificateSecret enable the trace pull together (all three or none)',
      path: ['graphTenantId'],
    },
  )
  .refine((settings) => (settings.jwtIssuer === undefined) === (settings.jwtAudience === undefined), {
    message: 'jwtIssuer and jwtAudience must be given together (or neither, for IAM authorisation)',
    path: ['jwtIssuer'],
  })
  .refine((settings) => settings.dashboardClientId === undefined || settings.jwtIssuer !== undefined, {
    message: 'dashboardClientId needs jwtIssuer and jwtAudience (the dashboard signs in to that issuer)',
    path: ['dashboardClientId'],
  })
  .refine((settings) => settings.dashboardScope === undefined || settings.dashboardClientId !== undefined, {
    message: 'dashboardScope needs dashboardClientId',
    path: ['dashboardScope'],
  })
  .refine(
    (settings) =>
      settings.incomingRetentionDays === undefined ||
      settings.incomingRetentionDays >= settings.retentionDays,
    {
      message:
        'must be at least retentionDays: an upload is kept as long as its findings, so it can always be re-analysed',
      path: ['incomingRetentionDays'],
    },
  )
  .transform((settings) => ({
    ...settings,
    incomingRetentionDays: settings.incomingRetentionDays ?? settings.retentionDays,
  }));

/** The cloud dashboard's sign-in (`auth` of its `config.json`), when the settings ask for one. */
export function dashboardAuthOf(
  settings: Pick<Settings, 'jwtIssuer' | 'dashboardClientId' | 'dashboardScope'>,
): { issuer: string; clientId: string; scope: string } | undefined {
  if (settings.jwtIssuer === undefined || settings.dashboardClientId === undefined) return undefined;
  return {
    issuer: settings.jwtIssuer,
    clientId: settings.dashboardClientId,
    scope: settings.dashboardScope ?? 'openid',
  };
}

/** The message trace pull's settings, when the context enables it. */
export function graphTracePullOf(
  settings: Settings,
): { tenantId: string; clientId: string; certificateSecret: string; schedule: string } | undefined {
  const { graphTenantId, graphClientId, graphCertificateSecret } = settings;
  if (graphTenantId === undefined || graphClientId === undefined || graphCertificateSecret === undefined)
    return undefined;
  return {
    tenantId: graphTenantId,
    clientId: graphClientId,
    certificateSecret: graphCertificateSecret,
    schedule: settings.graphTraceSchedule,
  };
}

/** Validated settings; optional ones are `undefined` when not configured. */
export type Settings = z.infer<typeof SettingsSchema>;
/** The raw context values, as `cdk.json` or `-c` give them. */
export type SettingsInput = Partial<Record<SettingKey, unknown>>;

/** Invalid CDK context: names the key and what is wrong with it. */
export class SettingsError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SettingsError';
  }
}

/** Validates raw context values and applies the defaults. Throws {@link SettingsError}. */
export function parseSettings(input: SettingsInput = {}): Settings {
  const parsed = SettingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  - ${issueLine(issue, { whole: 'context' })}`);
  throw new SettingsError(`invalid CDK context for relay-audit:\n${problems.join('\n')}`, {
    cause: parsed.error,
  });
}

/** Anything that can look up a context value: `app.node`, `stack.node`. */
export interface ContextReader {
  tryGetContext(key: string): unknown;
}

/** Reads every {@link SETTING_KEYS} entry from CDK context and validates them. */
export function loadSettings(node: ContextReader): Settings {
  const input: SettingsInput = {};
  for (const key of SETTING_KEYS) {
    const value = node.tryGetContext(key);
    if (value !== undefined) input[key] = value;
  }
  return parseSettings(input);
}
