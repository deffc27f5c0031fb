/**
 * The query API's wire types: what each route answers and what `/config.json` holds. Types only,
 * from browser-safe modules, so the dashboard, the API, `relay-audit serve` and the CDK stack
 * compile against one declaration of each.
 */
import type { Finding, ScenarioId } from '../core/analysis/model/findings.js';
import type { SkippedRow, SourceRecord } from '../core/analysis/model/source-record.js';
import type { ReadinessInputs } from '../core/readiness/inputs.js';
import type {
  CheckTrigger,
  ConfigurationRoute,
  ReadinessResponse,
  StoredReadinessResult as ReadinessResult,
} from '../core/readiness/report-schema.js';
import type { Severity } from '../core/readiness/result.js';

export type {
  CheckTrigger,
  ConfigurationRoute,
  Finding,
  ReadinessInputs,
  ReadinessResponse,
  ReadinessResult,
  ScenarioId,
  SkippedRow,
  SourceRecord,
};
export type ReadinessSeverity = Severity;

/** A page of a list route: `cursor` is there when there is a next page. */
export interface Page<T> {
  items: T[];
  cursor?: string;
}

/**
 * A source record as the API shows it (`GET /sources/{id}`): `interrupted` when it is still
 * `processing` but its lease ran out (the attempt was killed or lost its store; the next delivery
 * or run replaces it). Only a `processing` record shows its `lease`; `supersededBy` names the
 * record of a later run that completed the same local file, when this one had not.
 */
export type SourceView = SourceRecord & { interrupted?: true };

/** A source record in `GET /sources` (its skipped rows come from `GET /sources/{id}`). */
export type SourceSummary = Omit<SourceView, 'skipped'>;

export type ScenarioCounts = Record<ScenarioId, number>;

export interface DaySummary {
  /** UTC day, `YYYY-MM-DD`. */
  date: string;
  counts: ScenarioCounts;
  total: number;
}

/** `GET /summary?from&to`. */
export interface Summary {
  from: string;
  to: string;
  totals: ScenarioCounts;
  total: number;
  /** Every day of the range, oldest first (days without findings included, with zeros). */
  days: DaySummary[];
  /** Sender domains with the most findings in the range, most first. */
  topSenderDomains: { senderDomain: string; count: number }[];
  /**
   * On-premises servers (lower-case host names; the send connector when the log has no host name;
   * `(unknown)` when neither), most first.
   */
  topServers: { server: string; count: number }[];
}

/** The API's error body. */
export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}

/** The cloud dashboard's OpenID Connect sign-in. */
export interface DashboardAuthConfig {
  /** The identity provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: string;
  /** The dashboard's app registration (a public client: code flow with PKCE, no secret). */
  readonly clientId: string;
  /** Scopes asked for, e.g. `api://<api-app-id>/access` (`dashboardScope`, default `openid`). */
  readonly scope: string;
}

/**
 * `/config.json`: where the API is (`/api` locally, the HTTP API's URL in the cloud) and, when the
 * API takes JWTs, how the page signs in. `relay-audit serve` and the CDK stack write it; the
 * dashboard reads it.
 */
export interface DashboardConfig {
  readonly apiBase: string;
  readonly auth?: DashboardAuthConfig;
}

/**
 * `POST /uploads?name=&size=`: where the dashboard uploads one file — a form POST of `fields` plus
 * the file (last, as `file`) to `url`, accepted only for `key` and at most `maxBytes`.
 */
export interface UploadGrant {
  url: string;
  fields: Record<string, string>;
  key: string;
  maxBytes: number;
  /** When the grant stops working (ISO time). */
  expiresAt: string;
}
