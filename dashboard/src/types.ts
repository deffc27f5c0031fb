/**
 * What the query API returns (see functions/api). Findings and source records are the domain's
 * own types; the summary is restated here because its module also pulls in server-side code.
 * test/integration/serve.test.ts checks at compile time that this copy matches the API's.
 */
import type { Finding, ScenarioId } from '../../functions/core/findings.js';
import type { SkippedRow, SourceRecord } from '../../functions/core/source-record.js';

export type { Finding, ScenarioId, SkippedRow, SourceRecord };

/** A page of a list route: `cursor` is there when there is a next page. */
export interface Page<T> {
  items: T[];
  cursor?: string;
}

/**
 * A source record in `GET /sources` (its skipped rows come from `GET /sources/{id}`); `interrupted`
 * when it is still `processing` but the attempt's lease ran out.
 */
export type SourceSummary = Omit<SourceRecord, 'skipped'> & { interrupted?: true };

export type ScenarioCounts = Record<ScenarioId, number>;

export interface DaySummary {
  date: string;
  counts: ScenarioCounts;
  total: number;
  origin: 'rollups' | 'findings';
}

/** `GET /summary?from&to`. */
export interface Summary {
  from: string;
  to: string;
  totals: ScenarioCounts;
  total: number;
  days: DaySummary[];
  topSenderDomains: { senderDomain: string; count: number }[];
  topServers: { server: string; count: number }[];
  partial: boolean;
}

/**
 * `GET /readiness` (functions/core/readiness/organisation.ts `ReadinessResponse`, restated because
 * that module uses Node APIs; test/integration/api-readiness.test.ts checks at compile time that
 * the API's type fits this one).
 */
export interface ReadinessResponse {
  /** False until a configuration was checked: then there are no results and `message` says what to upload. */
  configured: boolean;
  message: string;
  /** When certificate validity was judged (ISO). */
  checkedAt: string | null;
  /** What checked it: an upload under config/, the nightly re-check, or relay-audit check --store. */
  trigger?: 'upload' | 'nightly' | 'cli';
  inputs: ReadinessInputs | null;
  summary: { error: number; warning: number; info: number };
  passed: string[];
  results: ReadinessResult[];
}

export type ReadinessSeverity = 'error' | 'warning' | 'info';

export interface ReadinessResult {
  id: string;
  severity: ReadinessSeverity;
  message: string;
  objects: string[];
  remediation: { steps: string[]; commands: string[]; links: { title: string; url: string }[] };
}

export interface ReadinessInputs {
  origin: string;
  acceptedDomains: { file: string; domains: string[] } | null;
  connectors: { file: string; names: string[]; relayConnector: string | null } | null;
  certificates: {
    file: string;
    subject: string;
    issuer: string;
    names: string[];
    notBefore: string;
    notAfter: string;
    chain: string[];
  }[];
  invalid: { file: string; message: string }[];
  ignored: string[];
}

/** The API's error body. */
export interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}

/** `/config.json`: where the API is (`/api` locally, the HTTP API's URL in the cloud). */
export interface DashboardConfig {
  apiBase: string;
  /** The cloud dashboard's OpenID Connect sign-in; absent locally (`relay-audit serve`). */
  auth?: { issuer: string; clientId: string; scope: string };
}
