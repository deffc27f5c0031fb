/**
 * The stored readiness report and what `GET /readiness` answers, as schemas and types. Only zod and
 * browser-safe modules are imported, so the dashboard compiles against these declarations too.
 */
import { z } from 'zod';
import { ReadinessInputs } from './inputs.js';
import { CheckId, ReadinessResult } from './result.js';

/** Results about the configuration files themselves, beside the readiness checks' own ids. */
export const CONFIG_CHECK_IDS = ['config-file-invalid', 'accepted-domains-missing'] as const;
export const StoredCheckId = z.union([CheckId, z.enum(CONFIG_CHECK_IDS)]);
export type StoredCheckId = z.infer<typeof StoredCheckId>;

/** A stored result: a readiness check's, or one about a configuration file. */
export const StoredReadinessResult = ReadinessResult.extend({ id: StoredCheckId });
export type StoredReadinessResult = z.infer<typeof StoredReadinessResult>;

export const SeverityCounts = z.object({
  error: z.number().int().nonnegative(),
  warning: z.number().int().nonnegative(),
  info: z.number().int().nonnegative(),
});
export type SeverityCounts = z.infer<typeof SeverityCounts>;

export const CheckTrigger = z.enum(['upload', 'nightly', 'cli']);
export type CheckTrigger = z.infer<typeof CheckTrigger>;

export const ReadinessReport = z.object({
  /** The moment certificate validity was judged at. */
  checkedAt: z.iso.datetime(),
  trigger: CheckTrigger,
  configHash: z.string(),
  /** `loadedAt` of the configuration checked. */
  configLoadedAt: z.iso.datetime(),
  inputs: ReadinessInputs,
  summary: SeverityCounts,
  /** Checks that ran and found nothing. */
  passed: z.array(CheckId),
  /** Ordered error → warning → info, then by id. */
  results: z.array(StoredReadinessResult),
});
export type ReadinessReport = z.infer<typeof ReadinessReport>;

/**
 * How the configuration reaches the check where the API runs: files under `config/` in the stack's
 * bucket (the cloud), or `relay-audit check … --store` into the store `relay-audit serve` shows (the
 * command, with that store's options; `stopServer` when serve holds the store, so the command can
 * open it only with serve stopped). Never the dashboard's upload, which takes logs and exports.
 */
export type ConfigurationRoute =
  | { via: 'bucket'; prefix: string }
  | { via: 'command'; command: string; stopServer: boolean };

/**
 * `GET /readiness`: the latest report, or an empty one that says what to upload; either way
 * `configure`, how to give the configuration (or the files still missing) there.
 */
export type ReadinessResponse = { configure: ConfigurationRoute } & (
  | ({ configured: true; message: string } & ReadinessReport)
  | {
      configured: false;
      message: string;
      checkedAt: null;
      inputs: null;
      summary: SeverityCounts;
      passed: [];
      results: [];
    }
);
